// ModelFiles: the engine only ever reads model bytes whose sha256 matches models.lock.
#include "nn/model_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "nn/nets.h"

namespace fs = std::filesystem;
using facegate::ErrorKind;
using facegate::nn::ModelFiles;

namespace {

constexpr const char* kPackage = "@vladmandic/face-api";
constexpr const char* kRecognitionBin = "model/face_recognition_model.bin";

// A private copy of the files models.lock pins, so a test can damage them.
class ModelCopy {
 public:
  ModelCopy() {
    std::random_device rd;
    root_ = fs::temp_directory_path() / ("facegate-nn-models-" + std::to_string(rd()));
    std::ifstream lock(FACEGATE_LOCK);
    std::string line;
    while (std::getline(lock, line)) {
      std::istringstream fields(line);
      std::string package, version, path;
      if (line.empty() || line[0] == '#' || !(fields >> package >> version >> path)) continue;
      const fs::path rel = fs::path(package + "@" + version) / path;
      fs::create_directories((root_ / rel).parent_path());
      fs::copy_file(fs::path(FACEGATE_MODELS) / rel, root_ / rel);
    }
  }
  ~ModelCopy() { fs::remove_all(root_); }
  std::string dir() const { return root_.string(); }
  fs::path file(const std::string& path) const {
    return root_ / "@vladmandic/face-api@1.7.15" / path;
  }

 private:
  fs::path root_;
};

std::string WriteTempLock(const std::string& text) {
  std::random_device rd;
  fs::path p = fs::temp_directory_path() / ("facegate-nn-lock-" + std::to_string(rd()));
  std::ofstream(p) << text;
  return p.string();
}

}  // namespace

TEST(ModelFiles, OpensTheInstalledCacheAndNamesThePinnedVersion) {
  auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto version = files->PackageVersion(kPackage);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, "@vladmandic/face-api@1.7.15");
  EXPECT_EQ(files->PackageVersion("left-pad").status().kind(), ErrorKind::kNotFound);
}

TEST(ModelFiles, ReadReturnsTheVerifiedBytes) {
  auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto bytes = files->Read(kPackage, kRecognitionBin);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->size(), fs::file_size(files->PathOf(kPackage, kRecognitionBin)));
}

TEST(ModelFiles, RefusesAFileThatIsNotPinned) {
  auto files = ModelFiles::Open(FACEGATE_MODELS, FACEGATE_LOCK);
  ASSERT_TRUE(files.ok());
  auto bytes = files->Read(kPackage, "model/tiny_face_detector_model.bin");
  EXPECT_EQ(bytes.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(bytes.status().message().find("not pinned"), std::string::npos);
}

TEST(ModelFiles, RefusesATamperedFileNamingItAndBothDigests) {
  ModelCopy copy;
  {
    std::fstream f(copy.file(kRecognitionBin), std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1000);
    char c = 0;
    f.read(&c, 1);
    c ^= 0x01;
    f.seekp(1000);
    f.write(&c, 1);
  }
  auto files = ModelFiles::Open(copy.dir(), FACEGATE_LOCK);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  auto bytes = files->Read(kPackage, kRecognitionBin);
  ASSERT_EQ(bytes.status().kind(), ErrorKind::kIntegrity) << bytes.status().ToString();
  const std::string& msg = bytes.status().message();
  EXPECT_NE(msg.find("face_recognition_model.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("install-models.sh"), std::string::npos) << msg;

  // The net refuses to load from it too, while untouched files still load.
  auto net = facegate::nn::RecognitionNet::Load(*files);
  EXPECT_EQ(net.status().kind(), ErrorKind::kIntegrity);
  EXPECT_TRUE(files->Read(kPackage, "model/face_landmark_68_model.bin").ok());
}

TEST(ModelFiles, MissingFileIsNotFoundAndSaysHowToInstall) {
  ModelCopy copy;
  fs::remove(copy.file("model/ssd_mobilenetv1_model.bin"));
  auto files = ModelFiles::Open(copy.dir(), FACEGATE_LOCK);
  ASSERT_EQ(files.status().kind(), ErrorKind::kNotFound);
  EXPECT_NE(files.status().message().find("ssd_mobilenetv1_model.bin"), std::string::npos);
  EXPECT_NE(files.status().message().find("scripts/install-models.sh"), std::string::npos);
}

TEST(ModelFiles, MissingLockIsNotFound) {
  auto files = ModelFiles::Open(FACEGATE_MODELS, "/nonexistent/models.lock");
  EXPECT_EQ(files.status().kind(), ErrorKind::kNotFound);
}

TEST(ModelFiles, MalformedLockIsInvalidInput) {
  const std::string sha(64, 'a');
  for (const std::string& text :
       {std::string("@vladmandic/face-api 1.7.15 model/x.bin\n"),       // 3 fields
        std::string("@vladmandic/face-api 1.7.15 model/x.bin abc\n"),   // short digest
        "@vladmandic/face-api 1.7.15 model/x.bin " + sha + " extra\n",  // 5 fields
        "@vladmandic/face-api 1.7.15 ../../etc/passwd " + sha + "\n",   // escapes package
        "p 1.0 a.bin " + sha + "\np 2.0 b.bin " + sha + "\n",           // two versions
        std::string("# only comments\n\n")}) {
    const std::string lock = WriteTempLock(text);
    auto files = ModelFiles::Open(FACEGATE_MODELS, lock);
    fs::remove(lock);
    EXPECT_EQ(files.status().kind(), ErrorKind::kInvalidInput) << text;
  }
}
