Console.WriteLine("Rag benchmarks");
