using System.CommandLine;
using System.Text.Json;
using HistoPrognosis.Models;

namespace HistoPrognosis.Cli.Commands;

/// <summary><c>histoprog backbone check</c>: the pretrained backbone against ONNX Runtime.</summary>
public static class BackboneCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX file (default: the ResNet18 shipped with the tool)" };
        var check = new Command("check", "compare the TorchSharp ResNet18 with ONNX Runtime on fixed inputs (512-d features)")
        {
            json, onnx,
        };
        var options = new RunConfigOptions(ConfigFlags.Compute);
        options.AddTo(check);
        check.SetAction(parse =>
        {
            var report = OnnxParityCheck.Run(parse.GetValue(onnx), ComputeDevice.Resolve(options.Bind(parse).Device));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    onnx = report.OnnxPath,
                    image_size = report.ImageSize,
                    max_abs = report.MaxAbs,
                    max_rel = report.MaxRel,
                    max_rel_elementwise = report.MaxRelElementwise,
                    inputs = report.Cases.Select(c => new
                    {
                        name = c.Input, max_abs = c.MaxAbs, max_rel = c.MaxRel, max_rel_elementwise = c.MaxRelElementwise, reference_max = c.ReferenceMaxAbs,
                    }),
                }, HistoPrognosis.IO.JsonDefaults.Options));
            }
            else
            {
                foreach (var c in report.Cases)
                    Console.WriteLine($"{c.Input,-14} max_abs {c.MaxAbs:E2}  max_rel {c.MaxRel:E2}  elementwise {c.MaxRelElementwise:E2}  (largest feature {c.ReferenceMaxAbs:F3})");
                Console.WriteLine($"max_abs {report.MaxAbs:E3}  max_rel {report.MaxRel:E3}  (max_rel = max|Δ| / max|reference feature|)");
            }
            return 0;
        });
        return new Command("backbone", "inspect and verify backbones") { check };
    }
}
