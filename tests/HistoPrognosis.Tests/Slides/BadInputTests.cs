using HistoPrognosis.Imaging;
using HistoPrognosis.Slides;

namespace HistoPrognosis.Tests.Slides;

/// <summary>Zero-byte, truncated, non-slide, unsupported and mislabelled files: clear errors naming the file.</summary>
public class BadInputTests
{
    private static UserInputException OpenFails(string path)
    {
        var ex = Assert.Throws<UserInputException>(() => { using var s = SlideFactory.Open(path); });
        Assert.Contains(path, ex.Message);
        return ex;
    }

    [Fact]
    public void ZeroByte_Truncated_NonSlide_AndMissing_FailClearly()
    {
        var dir = WsiFixtures.TempDir("bad");
        try
        {
            var empty = Path.Combine(dir, "empty.svs");
            File.WriteAllBytes(empty, []);
            Assert.Contains("empty", OpenFails(empty).Message);

            var text = Path.Combine(dir, "notes.tiff");
            File.WriteAllText(text, "this is not a slide at all, just some words");
            Assert.Contains("not a slide", OpenFails(text).Message);

            // The SVS cut after its header: the directory offsets point past the end.
            var truncated = Path.Combine(dir, "cut.svs");
            File.WriteAllBytes(truncated, File.ReadAllBytes(WsiFixtures.Cmu1)[..4000]);
            OpenFails(truncated);

            // The DICOM cut in the middle of its pixel data.
            var cutDicom = Path.Combine(dir, "cut.dcm");
            var dcm = File.ReadAllBytes(WsiFixtures.Dicom);
            File.WriteAllBytes(cutDicom, dcm[..(dcm.Length / 2)]);
            Assert.Contains("truncated", OpenFails(cutDicom).Message);

            Assert.Contains("not found", OpenFails(Path.Combine(dir, "absent.svs")).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("1.2.840.10008.5.1.4.1.1.2", "CT Image Storage")]
    [InlineData("1.2.840.10008.5.1.4.1.1.4", "MR Image Storage")]
    [InlineData("1.2.840.10008.5.1.4.1.1.7", "Secondary Capture Image Storage")]
    [InlineData("1.2.840.10008.5.1.4.1.1.77.1.2", "VL Microscopic Image Storage")]
    [InlineData("1.2.3.4.5.6.7", null)]
    public void DicomOfAnotherSopClass_IsRefusedNamingTheFileAndTheClass(string sopClass, string? name)
    {
        var dir = WsiFixtures.TempDir("sop");
        try
        {
            var path = Path.Combine(dir, "image.dcm");
            DicomWriter.SingleImage(sopClass).Save(path, "1.2.840.10008.1.2.1", sopClass);
            var message = OpenFails(path).Message;
            Assert.Contains($"SOP class {sopClass}", message);
            if (name is not null) Assert.Contains($"({name})", message);
            Assert.Contains(DicomSopClass.WholeSlide, message);

            // Forced onto the DICOM backend, or stated only in the file meta: refused the same way.
            Assert.Contains(sopClass, OpenFailsWith(path, SlideBackend.Dicom).Message);
            DicomWriter.SingleImage(sopClass).Remove(0x00080016).Save(path, "1.2.840.10008.1.2.1", sopClass);
            Assert.Contains(sopClass, OpenFails(path).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void DicomWithoutASopClass_IsRefused()
    {
        var dir = WsiFixtures.TempDir("nosop");
        try
        {
            var path = Path.Combine(dir, "anonymous.dcm");
            DicomWriter.SingleImage("").Remove(0x00080016).Save(path, "1.2.840.10008.1.2.1", sopClass: "");
            Assert.Contains("no SOP Class UID", OpenFails(path).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MislabelledExtensions_AreReadByContent()
    {
        var dir = WsiFixtures.TempDir("label");
        try
        {
            var svsAsPng = Path.Combine(dir, "slide.png");
            File.Copy(WsiFixtures.Cmu1, svsAsPng);
            using (var s = SlideFactory.Open(svsAsPng))
            {
                Assert.Equal("aperio", s.Vendor);
                Assert.Equal(2220, s.Levels[0].Width);
            }
            var dcmAsSvs = Path.Combine(dir, "scan.svs");
            File.Copy(WsiFixtures.Dicom, dcmAsSvs);
            using (var s = SlideFactory.Open(dcmAsSvs)) Assert.Equal(SlideBackend.Dicom, s.Backend);

            var pngAsSvs = Path.Combine(dir, "picture.svs");
            using (var slide = SlideFactory.Open(WsiFixtures.Cmu1))
                HistoPrognosis.Imaging.ImageCodec.WritePng(slide.ReadRegion(0, 1000, 1000, 64, 48), pngAsSvs);
            using (var s = SlideFactory.Open(pngAsSvs))
            {
                Assert.Equal(SlideBackend.Vips, s.Backend);
                Assert.Equal(new SlideLevel(64, 48, 1), s.Levels.Single());
                Assert.Null(s.MppX);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void UnsupportedTiffCompression_FailsWithOpenSlidesReason()
    {
        var dir = WsiFixtures.TempDir("unsup");
        try
        {
            // A tiled TIFF whose compression tag claims an unknown scheme (65000): no backend decodes it.
            var path = Path.Combine(dir, "odd.tif");
            using (var im = NetVips.Image.Black(512, 512, bands: 3))
                im.Tiffsave(path, tile: true, tileWidth: 256, tileHeight: 256, compression: NetVips.Enums.ForeignTiffCompression.None);
            var bytes = File.ReadAllBytes(path);
            var page = TiffDirectory.Read(path)[0];
            Assert.Equal(1, page.Compression);
            TiffBytes.SetShort(bytes, TiffBytes.Compression, 65000);
            File.WriteAllBytes(path, bytes);
            Assert.Equal(65000, TiffDirectory.Read(path)[0].Compression);
            OpenFails(path);
            Assert.Contains("compression 65000", OpenFailsWith(path, SlideBackend.Vips).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static UserInputException OpenFailsWith(string path, SlideBackend backend)
    {
        var ex = Assert.Throws<UserInputException>(() => { using var s = SlideFactory.Open(path, new SlideOpenOptions { Backend = backend }); });
        Assert.Contains(path, ex.Message);
        return ex;
    }
}
