// TfWeights decodes TF.js weight shards exactly as tfjs-core's io.decodeWeights does.
#include "nn/tf_weights.h"

#include <gtest/gtest.h>

#include <cstring>

using facegate::ErrorKind;
using facegate::nn::TfWeights;

namespace {

template <typename T>
void Append(std::string& bytes, T v) {
  bytes.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

TEST(TfWeights, DequantizesEveryStoredForm) {
  const std::string manifest = R"([{"paths":["a.bin"],"weights":[
    {"name":"q8","shape":[3],"dtype":"float32","quantization":{"dtype":"uint8","scale":0.5,"min":-1.0}},
    {"name":"q16","shape":[2],"dtype":"float32","quantization":{"dtype":"uint16","scale":0.25,"min":1.0}},
    {"name":"f16","shape":[3],"dtype":"float32","quantization":{"dtype":"float16"}},
    {"name":"f32","shape":[2,1],"dtype":"float32"},
    {"name":"i32","shape":[],"dtype":"int32"},
    {"name":"qi32","shape":[2],"dtype":"int32","quantization":{"dtype":"uint8","scale":0.3,"min":0.0}}
  ]}])";
  std::string bytes;
  for (uint8_t q : {0, 1, 255}) Append(bytes, q);
  for (uint16_t q : {0, 1000}) Append(bytes, q);
  for (uint16_t h : {0x3c00, 0xc000, 0x0001}) Append(bytes, h);  // 1, -2, smallest subnormal
  for (float f : {1.5f, -0.25f}) Append(bytes, f);
  Append(bytes, int32_t{-7});
  for (uint8_t q : {5, 6}) Append(bytes, q);  // 1.5 -> 2, 1.8 -> 2

  auto w = TfWeights::Decode(manifest, {bytes});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto q8 = w->Get("q8", {3});
  ASSERT_TRUE(q8.ok());
  EXPECT_EQ((*q8)->values, (std::vector<float>{-1.0f, -0.5f, 126.5f}));
  EXPECT_EQ((*w->Get("q16", {2}))->values, (std::vector<float>{1.0f, 251.0f}));
  auto f16 = (*w->Get("f16", {3}))->values;
  EXPECT_EQ(f16[0], 1.0f);
  EXPECT_EQ(f16[1], -2.0f);
  EXPECT_FLOAT_EQ(f16[2], 5.9604645e-8f);
  EXPECT_EQ((*w->Get("f32", {2, 1}))->values, (std::vector<float>{1.5f, -0.25f}));
  EXPECT_EQ((*w->Get("i32", {}))->values, (std::vector<float>{-7.0f}));
  EXPECT_EQ((*w->Get("qi32", {2}))->values, (std::vector<float>{2.0f, 2.0f}));
}

TEST(TfWeights, MissingOrMisshapenTensorIsAnIntegrityError) {
  const std::string manifest =
      R"([{"paths":["a.bin"],"weights":[{"name":"x","shape":[2],"dtype":"float32"}]}])";
  std::string bytes;
  Append(bytes, 1.0f);
  Append(bytes, 2.0f);
  auto w = TfWeights::Decode(manifest, {bytes});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->Get("y", {2}).status().kind(), ErrorKind::kIntegrity);
  auto wrong = w->Get("x", {1, 2});
  EXPECT_EQ(wrong.status().kind(), ErrorKind::kIntegrity);
  EXPECT_NE(wrong.status().message().find("[2]"), std::string::npos);
}

TEST(TfWeights, BytesThatDoNotMatchTheManifestAreRefused) {
  const std::string manifest =
      R"([{"paths":["a.bin"],"weights":[{"name":"x","shape":[2],"dtype":"float32"}]}])";
  EXPECT_EQ(TfWeights::Decode(manifest, {std::string(4, '\0')}).status().kind(),
            ErrorKind::kIntegrity);  // too short
  EXPECT_EQ(TfWeights::Decode(manifest, {std::string(12, '\0')}).status().kind(),
            ErrorKind::kIntegrity);  // bytes left over
  EXPECT_EQ(TfWeights::Decode("{not json", {""}).status().kind(), ErrorKind::kIntegrity);
}
