namespace Rag.Tests.Operations;

internal sealed record ExportedSpan(string ServiceName, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes);

/// <param name="Value">A sum's or gauge's value; a histogram's count.</param>
/// <param name="Sum">A histogram's sum; null for sums and gauges.</param>
internal sealed record ExportedMetricPoint(string ServiceName, string MetricName, IReadOnlyDictionary<string, string> Attributes, double Value, double? Sum);

/// <summary>
/// Decodes OTLP/HTTP protobuf exports (opentelemetry-proto: collector/trace/v1 and collector/metrics/v1),
/// field numbers as published there. Only what the tests look at is read; everything else is skipped.
/// </summary>
internal static class OtlpPayloads
{
    // ExportTraceServiceRequest.resource_spans = 1; ResourceSpans: resource = 1, scope_spans = 2;
    // ScopeSpans: scope = 1, spans = 2; Span: trace_id = 1, span_id = 2, parent_span_id = 4, name = 5, attributes = 9.
    public static List<ExportedSpan> ReadSpans(ReadOnlySpan<byte> request)
    {
        var spans = new List<ExportedSpan>();
        var reader = new ProtobufWireReader(request);
        while (reader.Next())
        {
            if (reader.FieldNumber != 1)
            {
                reader.Skip();
                continue;
            }

            var resourceSpans = new ProtobufWireReader(reader.ReadBytes());
            var serviceName = "";
            var scopes = new List<byte[]>();
            while (resourceSpans.Next())
            {
                switch (resourceSpans.FieldNumber)
                {
                    case 1:
                        serviceName = ReadResourceServiceName(resourceSpans.ReadBytes());
                        break;
                    case 2:
                        scopes.Add(resourceSpans.ReadBytes().ToArray());
                        break;
                    default:
                        resourceSpans.Skip();
                        break;
                }
            }

            foreach (var scopeSpans in scopes)
            {
                ReadScopeSpans(scopeSpans, serviceName, spans);
            }
        }

        return spans;
    }

    // ExportMetricsServiceRequest.resource_metrics = 1; ResourceMetrics: resource = 1, scope_metrics = 2;
    // ScopeMetrics: metrics = 2; Metric: name = 1, gauge = 5, sum = 7, histogram = 9; Gauge/Sum/Histogram: data_points = 1;
    // NumberDataPoint: as_double = 4, as_int = 6 (sfixed64), attributes = 7;
    // HistogramDataPoint: count = 4 (fixed64), sum = 5 (double), attributes = 9.
    public static List<ExportedMetricPoint> ReadMetrics(ReadOnlySpan<byte> request)
    {
        var points = new List<ExportedMetricPoint>();
        var reader = new ProtobufWireReader(request);
        while (reader.Next())
        {
            if (reader.FieldNumber != 1)
            {
                reader.Skip();
                continue;
            }

            var resourceMetrics = new ProtobufWireReader(reader.ReadBytes());
            var serviceName = "";
            var scopes = new List<byte[]>();
            while (resourceMetrics.Next())
            {
                switch (resourceMetrics.FieldNumber)
                {
                    case 1:
                        serviceName = ReadResourceServiceName(resourceMetrics.ReadBytes());
                        break;
                    case 2:
                        scopes.Add(resourceMetrics.ReadBytes().ToArray());
                        break;
                    default:
                        resourceMetrics.Skip();
                        break;
                }
            }

            foreach (var scope in scopes)
            {
                var scopeMetrics = new ProtobufWireReader(scope);
                while (scopeMetrics.Next())
                {
                    if (scopeMetrics.FieldNumber == 2)
                    {
                        ReadMetric(scopeMetrics.ReadBytes(), serviceName, points);
                    }
                    else
                    {
                        scopeMetrics.Skip();
                    }
                }
            }
        }

        return points;
    }

    private static void ReadScopeSpans(ReadOnlySpan<byte> message, string serviceName, List<ExportedSpan> spans)
    {
        var reader = new ProtobufWireReader(message);
        var scopeName = "";
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case 1:
                    scopeName = ReadScopeName(reader.ReadBytes());
                    break;
                case 2:
                    spans.Add(ReadSpan(reader.ReadBytes(), serviceName, scopeName));
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static ExportedSpan ReadSpan(ReadOnlySpan<byte> message, string serviceName, string scopeName)
    {
        var reader = new ProtobufWireReader(message);
        string traceId = "", spanId = "", name = "";
        string? parentSpanId = null;
        var attributes = new Dictionary<string, string>();
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case 1:
                    traceId = Convert.ToHexStringLower(reader.ReadBytes());
                    break;
                case 2:
                    spanId = Convert.ToHexStringLower(reader.ReadBytes());
                    break;
                case 4:
                    var parent = reader.ReadBytes();
                    parentSpanId = parent.IsEmpty ? null : Convert.ToHexStringLower(parent);
                    break;
                case 5:
                    name = reader.ReadString();
                    break;
                case 9:
                    AddAttribute(reader.ReadBytes(), attributes);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new ExportedSpan(serviceName, scopeName, traceId, spanId, parentSpanId, name, attributes);
    }

    private static void ReadMetric(ReadOnlySpan<byte> message, string serviceName, List<ExportedMetricPoint> points)
    {
        var reader = new ProtobufWireReader(message);
        var name = "";
        while (reader.Next())
        {
            switch (reader.FieldNumber)
            {
                case 1:
                    name = reader.ReadString();
                    break;
                case 5 or 7 or 9:
                    var histogram = reader.FieldNumber == 9;
                    var data = new ProtobufWireReader(reader.ReadBytes());
                    while (data.Next())
                    {
                        if (data.FieldNumber == 1)
                        {
                            points.Add(ReadDataPoint(data.ReadBytes(), serviceName, name, histogram));
                        }
                        else
                        {
                            data.Skip();
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static ExportedMetricPoint ReadDataPoint(ReadOnlySpan<byte> message, string serviceName, string metricName, bool histogram)
    {
        var reader = new ProtobufWireReader(message);
        var attributes = new Dictionary<string, string>();
        double value = 0;
        double? sum = null;
        while (reader.Next())
        {
            switch (histogram, reader.FieldNumber)
            {
                case (false, 4):
                    value = reader.ReadDouble();
                    break;
                case (false, 6):
                    value = (long)reader.ReadFixed64();
                    break;
                case (false, 7) or (true, 9):
                    AddAttribute(reader.ReadBytes(), attributes);
                    break;
                case (true, 4):
                    value = reader.ReadFixed64();
                    break;
                case (true, 5):
                    sum = reader.ReadDouble();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new ExportedMetricPoint(serviceName, metricName, attributes, value, sum);
    }

    // Resource.attributes = 1.
    private static string ReadResourceServiceName(ReadOnlySpan<byte> resource)
    {
        var attributes = new Dictionary<string, string>();
        var reader = new ProtobufWireReader(resource);
        while (reader.Next())
        {
            if (reader.FieldNumber == 1)
            {
                AddAttribute(reader.ReadBytes(), attributes);
            }
            else
            {
                reader.Skip();
            }
        }

        return attributes.GetValueOrDefault("service.name", "");
    }

    // InstrumentationScope.name = 1.
    private static string ReadScopeName(ReadOnlySpan<byte> scope)
    {
        var reader = new ProtobufWireReader(scope);
        while (reader.Next())
        {
            if (reader.FieldNumber == 1)
            {
                return reader.ReadString();
            }

            reader.Skip();
        }

        return "";
    }

    // KeyValue: key = 1, value = 2; AnyValue: string_value = 1, bool_value = 2, int_value = 3, double_value = 4.
    private static void AddAttribute(ReadOnlySpan<byte> keyValue, Dictionary<string, string> attributes)
    {
        var reader = new ProtobufWireReader(keyValue);
        var key = "";
        var value = "";
        while (reader.Next())
        {
            if (reader.FieldNumber == 1)
            {
                key = reader.ReadString();
            }
            else if (reader.FieldNumber == 2)
            {
                var any = new ProtobufWireReader(reader.ReadBytes());
                while (any.Next())
                {
                    value = (any.FieldNumber, any.WireType) switch
                    {
                        (1, 2) => any.ReadString(),
                        (2, 0) => (any.ReadVarint() != 0).ToString(),
                        (3, 0) => ((long)any.ReadVarint()).ToString(System.Globalization.CultureInfo.InvariantCulture),
                        (4, 1) => any.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => SkipAndReturnEmpty(ref any),
                    };
                }
            }
            else
            {
                reader.Skip();
            }
        }

        attributes[key] = value;
    }

    private static string SkipAndReturnEmpty(ref ProtobufWireReader reader)
    {
        reader.Skip();
        return "";
    }
}
