// Writes the seed corpora under fuzz/corpus/ (run it from the repository root:
//   cmake --build build/fuzz --target fuzz_make_seeds && build/fuzz/fuzz_make_seeds fuzz/corpus
// ). Images are drawn here (a few hundred bytes each, no photos); the EXIF blocks,
// truncations and oversized headers are made by editing the encoded bytes.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Bytes = std::string;

namespace {

fs::path g_root;

void Write(const std::string& target, const std::string& name, const Bytes& b) {
  fs::create_directories(g_root / target);
  std::ofstream(g_root / target / name, std::ios::binary).write(b.data(), b.size());
  std::printf("%-18s %-32s %5zu bytes\n", target.c_str(), name.c_str(), b.size());
}

cv::Mat Pattern(int w, int h, int type) {
  cv::Mat m(h, w, type);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < m.channels(); ++c) {
        const int v = (x * 16 + y * 8 + c * 80) % 256;
        if (m.depth() == CV_16U) {
          m.ptr<uint16_t>(y)[x * m.channels() + c] = static_cast<uint16_t>(v * 257);
        } else {
          m.ptr<uint8_t>(y)[x * m.channels() + c] = static_cast<uint8_t>(v);
        }
      }
  return m;
}

Bytes Encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  std::vector<uint8_t> buf;
  cv::imencode(ext, m, buf, params);
  return Bytes(buf.begin(), buf.end());
}

Bytes Be16(unsigned v) { return Bytes{char(v >> 8), char(v & 0xFF)}; }
Bytes Be32(uint32_t v) { return Be16(v >> 16) + Be16(v & 0xFFFF); }
Bytes Le16(unsigned v) { return Bytes{char(v & 0xFF), char(v >> 8)}; }
Bytes Le32(uint32_t v) { return Le16(v & 0xFFFF) + Le16(v >> 16); }

// A TIFF block with one IFD entry: orientation (0x0112, SHORT, count 1).
Bytes Tiff(bool little, unsigned orientation) {
  auto u16 = little ? Le16 : Be16;
  auto u32 = little ? Le32 : Be32;
  Bytes t = little ? "II" : "MM";
  t += u16(42) + u32(8);  // IFD at offset 8
  t += u16(1);            // one entry
  t += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0);
  t += u32(0);  // no next IFD
  return t;
}

// APP1 "Exif\0\0" + TIFF inserted right after the JPEG's SOI.
Bytes JpegWithExif(const Bytes& jpeg, const Bytes& tiff) {
  const Bytes payload = Bytes("Exif\0\0", 6) + tiff;
  return jpeg.substr(0, 2) + "\xFF\xE1" + Be16(payload.size() + 2) + payload + jpeg.substr(2);
}

// Sets the size in the first SOF0/SOF2 segment.
Bytes JpegWithSize(Bytes jpeg, unsigned w, unsigned h) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (uint8_t(jpeg[i]) == 0xFF && (uint8_t(jpeg[i + 1]) == 0xC0 || uint8_t(jpeg[i + 1]) == 0xC2)) {
      jpeg.replace(i + 5, 2, Be16(h));
      jpeg.replace(i + 7, 2, Be16(w));
      return jpeg;
    }
  }
  return jpeg;
}

uint32_t Crc32(const Bytes& b) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char x : b) {
    c ^= x;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return c ^ 0xFFFFFFFFu;
}

Bytes PngChunk(const std::string& type, const Bytes& data) {
  return Be32(data.size()) + type + data + Be32(Crc32(type + data));
}

// Inserts a chunk after IHDR (8-byte signature + 25-byte IHDR chunk).
Bytes PngInsert(const Bytes& png, const Bytes& chunk) {
  return png.substr(0, 33) + chunk + png.substr(33);
}

Bytes PngWithSize(Bytes png, uint32_t w, uint32_t h) {
  Bytes ihdr = png.substr(16, 13);
  ihdr.replace(0, 4, Be32(w));
  ihdr.replace(4, 4, Be32(h));
  return png.substr(0, 8) + PngChunk("IHDR", ihdr) + png.substr(33);
}

void Images(const std::string& target) {
  const Bytes gray = Encode(".jpg", Pattern(8, 8, CV_8UC1), {cv::IMWRITE_JPEG_QUALITY, 50});
  const Bytes rgb = Encode(".jpg", Pattern(16, 8, CV_8UC3), {cv::IMWRITE_JPEG_QUALITY, 50});
  Write(target, "jpeg_gray_8x8.jpg", gray);
  Write(target, "jpeg_rgb_16x8.jpg", rgb);
  Write(target, "jpeg_progressive_16x8.jpg",
        Encode(".jpg", Pattern(16, 8, CV_8UC3),
               {cv::IMWRITE_JPEG_QUALITY, 50, cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  Write(target, "jpeg_exif_ii_orientation6.jpg", JpegWithExif(rgb, Tiff(true, 6)));
  Write(target, "jpeg_exif_mm_orientation3.jpg", JpegWithExif(gray, Tiff(false, 3)));
  Write(target, "jpeg_truncated.jpg", rgb.substr(0, rgb.size() * 2 / 3));
  Write(target, "jpeg_claims_65000x65000.jpg", JpegWithSize(gray, 65000, 65000));

  const Bytes png_rgb = Encode(".png", Pattern(8, 4, CV_8UC3));
  Write(target, "png_gray_8x4.png", Encode(".png", Pattern(8, 4, CV_8UC1)));
  Write(target, "png_rgb_8x4.png", png_rgb);
  Write(target, "png_rgba_4x4.png", Encode(".png", Pattern(4, 4, CV_8UC4)));
  Write(target, "png_16bit_4x4.png", Encode(".png", Pattern(4, 4, CV_16UC3)));
  Write(target, "png_exif_mm_orientation8.png", PngInsert(png_rgb, PngChunk("eXIf", Tiff(false, 8))));
  Write(target, "png_truncated.png", png_rgb.substr(0, png_rgb.size() - 12));  // no IEND
  Write(target, "png_claims_100000x100000.png", PngWithSize(png_rgb, 100000, 100000));
}

std::string Multipart(const std::vector<std::string>& parts, const std::string& boundary) {
  std::string b;
  for (const auto& p : parts) b += "--" + boundary + "\r\n" + p + "\r\n";
  return b + "--" + boundary + "--\r\n";
}

std::string Field(const std::string& name, const std::string& value) {
  return "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value;
}

std::string File(const std::string& name, const std::string& filename, const std::string& type,
                 const std::string& content) {
  return "Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
         "\"\r\nContent-Type: " + type + "\r\n\r\n" + content;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s fuzz/corpus\n", argv[0]);
    return 2;
  }
  g_root = argv[1];

  Images("fuzz_image_header");
  Write("fuzz_image_header", "tiff_ii_orientation6.bin", Tiff(true, 6));
  Write("fuzz_image_header", "tiff_mm_orientation2.bin", Tiff(false, 2));
  Images("fuzz_decode");

  const std::string j = "fuzz_json_body";
  Write(j, "consent.json",
        R"({"subject":"S1","purpose":"office-entry","notice_id":1,"option":"always"})");
  Write(j, "enrol_base64.json",
        R"({"subject":"S1","purpose":"office-entry","session":"gate-1:0930","image_base64":"/9j/4AAQSkZJRgABAQ=="})");
  Write(j, "verify_data_url.json",
        R"({"subject":"S1","purpose":"office-entry","image_base64":"data:image/jpeg;base64,iVBORw0KGgo"})");
  Write(j, "analyze_list.json",
        R"({"purpose":"shop-count","k":5,"images_base64":["/9j/","iVBORw0K-_","", "AA=="]})");
  Write(j, "purpose.json",
        R"({"name":"shop-count","scenario":"analysis","retention_days":1,"alternatives":["manual-count"]})");
  Write(j, "unicode.json",
        "{\"subject\":\"\\u5f20\\u4e09 \xe5\xbc\xa0\xe4\xb8\x89\",\"purpose\":\"\\ud83d\\ude00\",\"k\":-9223372036854775808}");
  Write(j, "wrong_types.json", R"({"subject":7,"purpose":null,"k":1.5,"alternatives":"x","notice_id":18446744073709551615})");
  Write(j, "not_object.json", R"([{"subject":"S1"}])");
  Write(j, "truncated.json", R"({"subject":"S1","purp)");
  Write(j, "invalid_utf8.json", "{\"subject\":\"\xc3\x28\",\"purpose\":\"\xed\xa0\x80\"}");
  Write(j, "bare_invalid_utf8.txt", "\xf0\x9f\x98\x80 ok \xc0\xaf \xf4\x90\x80\x80 \xe2\x82");

  const std::string m = "fuzz_multipart";
  const std::string bnd = "----fgFuzzBoundary";
  const std::string jpeg_head("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\xFF\xD9", 16);
  Write(m, "enrol.bin",
        std::string(1, '\x07') + Multipart({Field("subject", "S1"), Field("purpose", "office-entry"),
                                            File("image", "photo.jpg", "image/jpeg", jpeg_head)},
                                           bnd));
  Write(m, "enrol_1byte_chunks.bin",
        std::string(1, '\x00') + Multipart({Field("subject", "S1"), File("image", "a.jpg", "image/jpeg", jpeg_head)}, bnd));
  Write(m, "analyze_3_images_16byte_chunks.bin",
        std::string(1, '\x04') +
            Multipart({Field("purpose", "shop-count"), Field("k", "2"),
                       File("image", "1.jpg", "image/jpeg", "A\r\n--"),
                       File("image", "2.png", "image/png", "\r\n-"), File("image", "3.jpg", "", "")},
                      bnd));
  Write(m, "utf8_names_7byte_chunks.bin",
        std::string(1, '\x03') + Multipart({Field("\xe5\xa7\x93\xe5\x90\x8d", "\xe5\xbc\xa0\xe4\xb8\x89"),
                                            File("image", "\xe7\x85\xa7.jpg", "image/jpeg", "x")},
                                           bnd));
  Write(m, "invalid_utf8_field.bin",
        std::string(1, '\x05') + Multipart({Field("subject", "\xc3\x28"), Field("purpose\xff", "p")}, bnd));
  Write(m, "preamble_epilogue_512.bin",
        std::string(1, '\x06') + "preamble\r\n" +
            Multipart({"content-type: text/plain\r\nCONTENT-DISPOSITION: form-data; name=\"a\"\r\n\r\nv"}, bnd) +
            "epilogue");
  Write(m, "no_closing_boundary.bin",
        std::string(1, '\x02') + "--" + bnd + "\r\n" + Field("subject", "S1") + "\r\n--" + bnd + "\r\n");
  Write(m, "filename_star.bin",
        std::string(1, '\x01') +
            Multipart({"Content-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"; "
                       "filename*=UTF-8''%E7%85%A7.jpg\r\n\r\nxyz"},
                      bnd));

  const std::string t = "fuzz_tsv";
  Write(t, "pairs.tsv",
        "# left\tright\tsame\nAi_Sugiyama/1.jpg\tAi_Sugiyama/2.jpg\t1\nA/1.jpg\tB/1.jpg\t0\n");
  Write(t, "crlf_blank_comments.tsv", "#c\r\n\r\nS1\tp.jpg\r\n\n\t\r\n#\tx\r\nlast\tno newline");
  Write(t, "trailing_tabs.tsv", "a\t\nb\t\t\n\t\n\t\tc\n");
  Write(t, "stop.tsv", "a\tb\nSTOP\tx\nnot\tread\n");
  Write(t, "cr_only.tsv", "\r\n\r\r\na\rb\tc\r\r\n");
  return 0;
}
