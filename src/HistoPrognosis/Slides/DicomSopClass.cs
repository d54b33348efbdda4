namespace HistoPrognosis.Slides;

/// <summary>
/// DICOM SOP classes: the one read as a slide, and the names of common others, so a refused file says what it is
/// (a CT image, a secondary capture, ...) and not only its UID.
/// </summary>
public static class DicomSopClass
{
    /// <summary>VL Whole Slide Microscopy Image Storage: the only SOP class read as a slide.</summary>
    public const string WholeSlide = "1.2.840.10008.5.1.4.1.1.77.1.6";

    private static readonly Dictionary<string, string> Names = new(StringComparer.Ordinal)
    {
        [WholeSlide] = "VL Whole Slide Microscopy Image Storage",
        ["1.2.840.10008.5.1.4.1.1.1"] = "Computed Radiography Image Storage",
        ["1.2.840.10008.5.1.4.1.1.1.1"] = "Digital X-Ray Image Storage - For Presentation",
        ["1.2.840.10008.5.1.4.1.1.1.2"] = "Digital Mammography X-Ray Image Storage - For Presentation",
        ["1.2.840.10008.5.1.4.1.1.2"] = "CT Image Storage",
        ["1.2.840.10008.5.1.4.1.1.2.1"] = "Enhanced CT Image Storage",
        ["1.2.840.10008.5.1.4.1.1.3.1"] = "Ultrasound Multi-frame Image Storage",
        ["1.2.840.10008.5.1.4.1.1.4"] = "MR Image Storage",
        ["1.2.840.10008.5.1.4.1.1.4.1"] = "Enhanced MR Image Storage",
        ["1.2.840.10008.5.1.4.1.1.6.1"] = "Ultrasound Image Storage",
        ["1.2.840.10008.5.1.4.1.1.7"] = "Secondary Capture Image Storage",
        ["1.2.840.10008.5.1.4.1.1.7.4"] = "Multi-frame True Color Secondary Capture Image Storage",
        ["1.2.840.10008.5.1.4.1.1.11.1"] = "Grayscale Softcopy Presentation State Storage",
        ["1.2.840.10008.5.1.4.1.1.20"] = "Nuclear Medicine Image Storage",
        ["1.2.840.10008.5.1.4.1.1.66.4"] = "Segmentation Storage",
        ["1.2.840.10008.5.1.4.1.1.77.1.2"] = "VL Microscopic Image Storage",
        ["1.2.840.10008.5.1.4.1.1.77.1.3"] = "VL Slide-Coordinates Microscopic Image Storage",
        ["1.2.840.10008.5.1.4.1.1.77.1.4"] = "VL Photographic Image Storage",
        ["1.2.840.10008.5.1.4.1.1.88.11"] = "Basic Text SR Storage",
        ["1.2.840.10008.5.1.4.1.1.88.33"] = "Comprehensive SR Storage",
        ["1.2.840.10008.5.1.4.1.1.91.1"] = "Microscopy Bulk Simple Annotations Storage",
        ["1.2.840.10008.5.1.4.1.1.104.1"] = "Encapsulated PDF Storage",
        ["1.2.840.10008.5.1.4.1.1.128"] = "Positron Emission Tomography Image Storage",
        ["1.2.840.10008.5.1.4.1.1.481.3"] = "RT Structure Set Storage",
    };

    /// <summary>The SOP Class UID of a file: the data set's (0008,0016), else the file meta's (0002,0002); null when neither states one.</summary>
    public static string? Of(DicomFile file) =>
        file.Dataset.String(0x00080016) is { Length: > 0 } own ? own : file.Meta.String(0x00020002) is { Length: > 0 } meta ? meta : null;

    /// <summary>The UID with its name when known: <c>1.2.840.10008.5.1.4.1.1.2 (CT Image Storage)</c>.</summary>
    public static string Describe(string uid) => Names.TryGetValue(uid, out var name) ? $"{uid} ({name})" : uid;

    /// <summary>Why a file is not a whole-slide image (its SOP class, named), or null when it is one.</summary>
    public static string? NotWholeSlide(DicomFile file) => Of(file) switch
    {
        WholeSlide => null,
        null => "states no SOP Class UID (0008,0016); only VL Whole Slide Microscopy Image Storage (" + WholeSlide + ") is read as a slide",
        var uid => $"SOP class {Describe(uid)} is not a whole-slide image; only VL Whole Slide Microscopy Image Storage ({WholeSlide}) is read as a slide",
    };
}
