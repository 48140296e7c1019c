Console.WriteLine("Rag local graph launcher");
