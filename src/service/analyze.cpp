// Analysis scenario: counts and attributes, no identity (REQ SC3, AN1, AN2).
#include <facegate/service.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "service/service_impl.h"

namespace facegate::service {

namespace {

const char* AgeBand(float age) {
  if (age < 13) return "age:0-12";
  if (age < 20) return "age:13-19";
  if (age < 40) return "age:20-39";
  if (age < 60) return "age:40-59";
  return "age:60+";
}

}  // namespace

Result<AnalyzeReport> Service::Analyze(const std::string& purpose, const std::vector<std::string>& images,
                                       int k, const std::string& actor) {
  auto& I = *impl_;
  const char* act = "analyze";
  if (k < 2)
    return I.Fail(actor, act, "", purpose,
                  Status::InvalidInput("k must be at least 2: smaller groups could single a person out (REQ AN2)"));
  auto grant = I.gate->AuthorizeAnalysis(purpose);
  if (!grant.ok()) return I.Fail(actor, act, "", purpose, grant.status());
  FG_ASSIGN_OR_RETURN(vision::Engine * eng, I.Engine());
  AnalyzeReport rep;
  rep.k = k;
  std::map<std::string, int64_t> groups;
  // One worker per core; per-face attributes stay inside this function (REQ AN1).
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < images.size();) {
      auto rgb = vision::DecodeImage(images[i]);
      std::vector<vision::FaceAttributes> faces;
      bool ok = rgb.ok();
      if (ok) {
        auto r = eng->Analyze(*grant, *rgb);
        rgb->setTo(cv::Scalar::all(0));  // no frame is kept
        ok = r.ok();
        if (ok) faces = std::move(r).value();
      }
      std::lock_guard<std::mutex> lock(mu);
      ++rep.images;
      if (!ok) {
        ++rep.images_unreadable;
        continue;
      }
      for (const vision::FaceAttributes& f : faces) {
        ++rep.faces;
        ++groups[AgeBand(f.age)];
        ++groups[f.p_female >= 0.5f ? "gender:female" : "gender:male"];
        size_t best = 0;
        for (size_t e = 1; e < f.expression.size(); ++e)
          if (f.expression[e] > f.expression[best]) best = e;
        ++groups[std::string("expression:") + vision::kExpressionLabels[best]];
      }
    }
  };
  const unsigned n = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < n; ++w) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  // REQ AN2: a group of fewer than k faces is withheld, the total too.
  json shown = json::object();
  for (const auto& [name, n] : groups) {
    if (n >= k) {
      rep.counts.emplace_back(name, n);
      shown[name] = n;
    } else {
      rep.suppressed.push_back(name);
    }
  }
  const int64_t total = rep.faces >= k ? rep.faces : -1;
  I.Audit(actor, act, "", purpose, Status::Ok(),
          {{"grant", grant->id()}, {"images", rep.images}, {"faces", total}, {"k", k}, {"counts", shown},
           {"suppressed", rep.suppressed}});
  if (total < 0) rep.faces = 0;
  return rep;
}

}  // namespace facegate::service
