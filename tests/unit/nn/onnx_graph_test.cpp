// OnnxGraph + DnnRunner reproduce TF's conv semantics (HWIO filters, asymmetric "SAME"
// padding, depthwise filters) and the zero padding the face-api ResNet relies on.
#include "nn/onnx_graph.h"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

using namespace facegate::nn;

namespace {

std::vector<float> Random(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Reference TF conv2d on an NCHW input with HWIO filters (depthwise when `depthwise`).
std::vector<float> TfConvReference(const std::vector<float>& x, int c, int h, int w,
                                   const TfTensor& f, int stride, bool same, bool depthwise) {
  const int k = static_cast<int>(f.shape[0]);
  const int co = depthwise ? c : static_cast<int>(f.shape[3]);
  const int oh = same ? (h + stride - 1) / stride : (h - k) / stride + 1;
  const int ow = same ? (w + stride - 1) / stride : (w - k) / stride + 1;
  const int pt = same ? std::max((oh - 1) * stride + k - h, 0) / 2 : 0;
  const int pl = same ? std::max((ow - 1) * stride + k - w, 0) / 2 : 0;
  std::vector<float> y(co * oh * ow, 0.f);
  for (int o = 0; o < co; ++o)
    for (int yy = 0; yy < oh; ++yy)
      for (int xx = 0; xx < ow; ++xx) {
        double s = 0;
        for (int i = 0; i < c; ++i) {
          if (depthwise && i != o) continue;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int iy = yy * stride + ky - pt, ix = xx * stride + kx - pl;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const float wv = depthwise ? f.values[(ky * k + kx) * c + i]
                                         : f.values[((ky * k + kx) * c + i) * co + o];
              s += double(x[(i * h + iy) * w + ix]) * wv;
            }
        }
        y[(o * oh + yy) * ow + xx] = static_cast<float>(s);
      }
  return y;
}

cv::Mat Blob(const std::vector<float>& v, int c, int h, int w) {
  cv::Mat m(std::vector<int>{1, c, h, w}, CV_32F);
  std::copy(v.begin(), v.end(), m.ptr<float>());
  return m;
}

std::vector<float> Values(const cv::Mat& m) {
  return std::vector<float>(m.ptr<float>(), m.ptr<float>() + m.total());
}

}  // namespace

TEST(TfPads, SameIsAsymmetricWithTheExtraPixelAfter) {
  Pads p = TfPads(TfPadding::kSame, 112, 112, 3, 2);  // out 56: total 1 -> 0 before, 1 after
  EXPECT_EQ(p.top, 0);
  EXPECT_EQ(p.bottom, 1);
  p = TfPads(TfPadding::kSame, 17, 17, 3, 1);
  EXPECT_EQ(p.top, 1);
  EXPECT_EQ(p.bottom, 1);
  p = TfPads(TfPadding::kSame, 150, 151, 7, 2);  // out 75/76: totals 5 and 6
  EXPECT_EQ(p.top, 2);
  EXPECT_EQ(p.bottom, 3);
  EXPECT_EQ(p.left, 3);
  EXPECT_EQ(p.right, 3);
  p = TfPads(TfPadding::kValid, 150, 150, 7, 2);
  EXPECT_EQ(p.top + p.left + p.bottom + p.right, 0);
}

TEST(OnnxGraph, ConvMatchesTfConv2dForSameAndValidPadding) {
  for (bool same : {true, false}) {
    for (int stride : {1, 2}) {
      const int c = 2, h = 6, w = 7, co = 3;
      TfTensor f{{3, 3, c, co}, Random(3 * 3 * c * co, 1)};
      std::vector<float> bias = Random(co, 2);
      std::vector<float> x = Random(c * h * w, 3);
      OnnxGraph g;
      OnnxValue in = g.Input("input", {1, c, h, w});
      g.Output(TfConv2D(g, in, f, stride, same ? TfPadding::kSame : TfPadding::kValid, bias));
      auto runner = DnnRunner::Create(g);
      ASSERT_TRUE(runner.ok()) << runner.status().ToString();
      auto out = (*runner)->Forward(Blob(x, c, h, w));
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      std::vector<float> ref = TfConvReference(x, c, h, w, f, stride, same, false);
      std::vector<float> got = Values((*out)[0]);
      ASSERT_EQ(got.size(), ref.size()) << "same=" << same << " stride=" << stride;
      const size_t plane = ref.size() / co;
      for (size_t i = 0; i < ref.size(); ++i) {
        EXPECT_NEAR(got[i], ref[i] + bias[i / plane], 1e-5) << "same=" << same << " i=" << i;
      }
    }
  }
}

TEST(OnnxGraph, DepthwiseConvMatchesTfDepthwiseConv2d) {
  const int c = 4, h = 8, w = 8;
  TfTensor f{{3, 3, c, 1}, Random(3 * 3 * c, 4)};
  std::vector<float> x = Random(c * h * w, 5);
  OnnxGraph g;
  OnnxValue in = g.Input("input", {1, c, h, w});
  g.Output(TfDepthwiseConv2D(g, in, f, 2, TfPadding::kSame));
  auto runner = DnnRunner::Create(g);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  auto out = (*runner)->Forward(Blob(x, c, h, w));
  ASSERT_TRUE(out.ok());
  std::vector<float> ref = TfConvReference(x, c, h, w, f, 2, true, true);
  std::vector<float> got = Values((*out)[0]);
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(got[i], ref[i], 1e-5);
}

TEST(OnnxGraph, ZeroPadAppendsZerosOnChannelsAndBottomRight) {
  const int c = 2, h = 2, w = 2;
  std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8};
  OnnxGraph g;
  OnnxValue in = g.Input("input", {1, c, h, w});
  OnnxValue padded = g.ZeroPad(in, {0, 0, 0, 0}, {0, 1, 1, 1});
  EXPECT_EQ(padded.shape, (std::vector<int64_t>{1, 3, 3, 3}));
  g.Output(padded);
  auto runner = DnnRunner::Create(g);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  auto out = (*runner)->Forward(Blob(x, c, h, w));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0,  //
                                                   5, 6, 0, 7, 8, 0, 0, 0, 0,  //
                                                   0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(OnnxGraph, GemmTakesWeightsAsOutByIn) {
  OnnxGraph g;
  OnnxValue in = g.Input("input", {1, 3, 1, 1});
  g.Output(g.Gemm(g.Flatten(in), {1, 0, 0, 0, 1, 1}, 2, {10, 20}));
  auto runner = DnnRunner::Create(g);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  auto out = (*runner)->Forward(Blob({1, 2, 3}, 3, 1, 1));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(Values((*out)[0]), (std::vector<float>{11, 25}));
}

TEST(DnnRunner, RejectsBytesThatAreNotAModel) {
  auto runner = DnnRunner::Create(std::string("definitely not onnx"), {"y"});
  EXPECT_FALSE(runner.ok());
}

// Concurrent forwards run on a pool of instances of the same net: every thread gets
// the single-threaded answer, and the pool grows under contention but never past its
// size (a shared cv::dnn::Net behind one mutex made concurrent requests queue).
TEST(DnnRunner, ConcurrentForwardsUseAPoolAndGiveTheSameOutputs) {
  SetMaxNetInstances(3);
  const int c = 16, h = 48, w = 48;
  TfTensor f{{3, 3, c, 16}, Random(3 * 3 * c * 16, 6)};
  OnnxGraph g;
  OnnxValue in = g.Input("input", {1, c, h, w});
  g.Output(TfConv2D(g, in, f, 1, TfPadding::kSame));
  auto runner = DnnRunner::Create(g);
  SetMaxNetInstances(0);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  EXPECT_EQ((*runner)->instances(), 1);
  std::vector<std::vector<float>> inputs, expected;
  for (int t = 0; t < 4; ++t) {
    inputs.push_back(Random(c * h * w, 100 + t));
    auto out = (*runner)->Forward(Blob(inputs.back(), c, h, w));
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    expected.push_back(Values((*out)[0]));
  }
  std::atomic<int> ready{0}, mismatches{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 4) std::this_thread::yield();
      for (int i = 0; i < 25; ++i) {
        auto out = (*runner)->Forward(Blob(inputs[t], c, h, w));
        if (!out.ok()) {
          failures.fetch_add(1);
          continue;
        }
        if (Values((*out)[0]) != expected[t]) mismatches.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_GE((*runner)->instances(), 2);
  EXPECT_LE((*runner)->instances(), 3);
}
