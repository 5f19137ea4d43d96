// Property-based test of the compliance core through the real Service, models
// and SQLite store: thousands of random sequences of consent, withdrawal,
// enrolment, verification, identification, expiry, alternatives, restriction
// and notice changes, checked against a model of what the person agreed to.
//
// Invariant (REQ C1, C3, C4, C5, A2, R1, S5, S7): no template is produced,
// stored or matched for a subject without an active consent that fits the
// operation at that moment (and no restriction of processing in force); a
// subject with no template left has no key.
//
// FACEGATE_PROPERTY_SEQUENCES and FACEGATE_PROPERTY_SEED change the run; a
// failure prints the seed and the operations that led to it.
#include <facegate/service.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "../support/requirement.h"
#include "testutil.h"

namespace facegate {
namespace {

using namespace facegate::testing;

std::string LfwPath(const std::string& name, int n) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "_%04d.jpg", n);
  return Facedata("lfw/" + name + "/" + name + buf);
}

// People with at least two photos in which the detector finds one face.
const char* kPeople[] = {"Alan_Greenspan", "Ai_Sugiyama",    "Ahmed_Chalabi", "Allyson_Felix",
                         "Ben_Affleck",    "Celine_Dion",    "Clay_Aiken",    "Ethan_Hawke",
                         "Cindy_Crawford", "Angela_Bassett", "Gerry_Adams",   "Bertie_Ahern"};
constexpr int kPeopleCount = sizeof kPeople / sizeof kPeople[0];

const char* kSessions[] = {"", "kiosk-1", "kiosk-2"};

// Picks an index with the given weights.
template <size_t N>
int Weighted(std::mt19937_64& rng, const int (&w)[N]) {
  int total = 0;
  for (int x : w) total += x;
  int r = static_cast<int>(rng() % static_cast<uint64_t>(total));
  for (size_t i = 0; i < N; ++i) {
    if (r < w[i]) return static_cast<int>(i);
    r -= w[i];
  }
  return N - 1;
}

// What the person agreed to, as the model sees it.
struct ModelConsent {
  int64_t id = 0;
  ConsentOption option = ConsentOption::kAlways;
  std::string session;
  UnixTime expires_at = 0;
  std::string notice_sha256;
  bool withdrawn = false;
  bool spent = false;
};

class Model {
 public:
  std::map<std::pair<std::string, std::string>, std::vector<ModelConsent>> consents;  // newest last
  std::map<std::string, std::string> notice_sha;                                    // purpose -> in force
  std::map<std::tuple<std::string, std::string, std::string>, int64_t> open_alternatives;
  std::set<std::string> restricted;  // REQ R1: processing restricted, data kept

  // The consent the Gate must find for op, or nullopt (newest first, as documented).
  std::optional<ModelConsent> Fitting(const std::string& subject, const std::string& purpose,
                                      const std::string& session, UnixTime now) const {
    if (open_alternatives.count({subject, purpose, session})) return std::nullopt;  // A2
    if (restricted.count(subject)) return std::nullopt;                              // R1
    auto it = consents.find({subject, purpose});
    if (it == consents.end()) return std::nullopt;
    for (auto c = it->second.rbegin(); c != it->second.rend(); ++c) {
      if (c->withdrawn || now >= c->expires_at) continue;                  // C4, C5
      if (c->notice_sha256 != notice_sha.at(purpose)) continue;            // C3
      if (c->option == ConsentOption::kOnce && c->spent) continue;         // C5
      if (c->option == ConsentOption::kWhileInUse && c->session != session) continue;  // C5
      return *c;
    }
    return std::nullopt;
  }
  // Some consent that still allows keeping a template (any session, any notice).
  bool Keeps(const std::string& subject, const std::string& purpose, UnixTime now) const {
    auto it = consents.find({subject, purpose});
    if (it == consents.end()) return false;
    for (const ModelConsent& c : it->second)
      if (!c.withdrawn && now < c.expires_at && !(c.option == ConsentOption::kOnce && c.spent)) return true;
    return false;
  }
};

// Eight blocks of sequences (different seeds) run as eight tests, so CTest
// spreads them over the cores.
class InvariantTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    // Thousands of committed writes: the data directory lives in memory when
    // the machine has /dev/shm, so fsync does not dominate the run.
    std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    home_ = base / ("fg-invariant-" + std::to_string(::getpid()) + "-" + std::to_string(GetParam()));
    std::filesystem::remove_all(home_);
    service::Config cfg = TestConfig(home_);
    cfg.clock = [this] { return now_; };
    auto s = service::Service::Open(cfg);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    svc_ = std::move(s).value();
    for (int i = 0; i < kPeopleCount; ++i)
      for (int n = 1; n <= 2; ++n) photos_[{i, n}] = ReadAll(LfwPath(kPeople[i], n));
  }
  void TearDown() override {
    svc_.reset();
    std::filesystem::remove_all(home_);
  }

  std::filesystem::path home_;
  std::unique_ptr<service::Service> svc_;
  UnixTime now_ = 1'800'000'000;
  std::map<std::pair<int, int>, std::string> photos_;
};

std::string Outcome(const Status& st) {
  if (st.ok()) return "ok";
  if (st.kind() == ErrorKind::kRefused) return "refused:" + st.requirement();
  return ToString(st.kind());
}

std::string NoticeText(int version) {
  return NoticeKeptFor(30) + "Version note: revision " + std::to_string(version) + "\n";
}

TEST_P(InvariantTest, C1_C4_C5_A2_R1_S7_NoTemplateIsProducedStoredOrMatchedWithoutAFittingConsent) {
  const char* env_n = std::getenv("FACEGATE_PROPERTY_SEQUENCES");
  const char* env_seed = std::getenv("FACEGATE_PROPERTY_SEED");
  const int sequences = env_n ? std::atoi(env_n) : 250;  // per block: 2,000 in all
  const uint64_t seed = (env_seed ? std::strtoull(env_seed, nullptr, 10) : 20261126) +
                        static_cast<uint64_t>(GetParam()) * 1'000'000;
  constexpr int kSteps = 16, kSubjects = 3;

  // Outcomes that show the run exercised the lawful paths too (not vacuous).
  int enrolled = 0, verified = 0, matched = 0, identified = 0, refused = 0, swept = 0, restrictions = 0;
  std::map<std::string, int> outcomes;  // "verify refused:C5" -> count, printed at the end

  for (int seq = 0; seq < sequences; ++seq) {
    std::mt19937_64 rng(seed + seq);
    auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    Model model;
    std::ostringstream log;
    log << "seed " << seed + seq << " (FACEGATE_PROPERTY_SEED=" << seed + seq
        << " FACEGATE_PROPERTY_SEQUENCES=1 and --gtest_filter='*InvariantTest*/0' reproduce it):\n";

    const std::string tag = "q" + std::to_string(GetParam()) + "-" + std::to_string(seq);
    const std::string verification = tag + "-gate", identification = tag + "-roster";
    const std::string purposes[2] = {verification, identification};
    int notice_version[2] = {1, 1};
    for (int k = 0; k < 2; ++k) {
      PurposeRecord p;
      p.name = purposes[k];
      p.scenario = k == 0 ? Scenario::kVerification : Scenario::kIdentification;
      p.retention_days = 30;
      p.alternatives = {"staff-card"};
      ASSERT_TRUE(svc_->AddPurpose(p, "test").ok());
      auto n = svc_->PublishNotice(purposes[k], NoticeText(1), "test");
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      ApproveAssessment(*svc_, purposes[k]);  // REQ F1
      model.notice_sha[purposes[k]] = n->sha256;
    }
    // Each subject is a person of the pool; person `stranger` is never enrolled.
    std::vector<int> people(kPeopleCount);
    for (int i = 0; i < kPeopleCount; ++i) people[i] = i;
    std::shuffle(people.begin(), people.end(), rng);
    std::string subject[kSubjects];
    for (int s = 0; s < kSubjects; ++s) subject[s] = tag + "-s" + std::to_string(s);
    const int stranger = people[kSubjects];

    auto sync_spent = [&](const std::string& subj, const std::string& purpose) {
      auto list = svc_->ListConsents(subj, purpose);
      ASSERT_TRUE(list.ok()) << list.status().ToString();
      for (ModelConsent& m : model.consents[{subj, purpose}])
        for (const ConsentRecord& c : *list)
          if (c.id == m.id) {  // NOLINT
            m.spent = c.used_at.has_value();
            // The store must agree with the model on what ended.
            EXPECT_EQ(c.withdrawn_at.has_value(), m.withdrawn) << log.str();
            EXPECT_EQ(c.expires_at, m.expires_at) << log.str();
          }
    };

    for (int step = 0; step < kSteps; ++step) {
      int s = pick(kSubjects);
      int k = pick(2);
      std::string session = kSessions[Weighted(rng, {6, 3, 1})];
      enum { kConsent, kWithdraw, kEnrol, kVerify, kIdentify, kTime, kAlternative, kNotice, kRestrict };
      const int op = Weighted(rng, {28, 5, 20, 22, 12, 7, 3, 3, 3});
      // Most face operations aim at a consent that is still running (in its
      // own session for "while in use"), so the lawful paths are exercised
      // as often as the refusals.
      if ((op == kEnrol || op == kVerify) && pick(8) != 0) {
        std::vector<std::tuple<int, int, std::string>> live;
        for (int si = 0; si < kSubjects; ++si)
          for (int ki = 0; ki < 2; ++ki) {
            if (op == kVerify && ki != 0) continue;
            auto it = model.consents.find({subject[si], purposes[ki]});
            if (it == model.consents.end()) continue;
            if (op == kVerify && svc_->store().GetTemplates(subject[si], purposes[ki])->empty()) continue;
            for (const ModelConsent& c : it->second)
              if (!c.withdrawn && now_ < c.expires_at)
                live.emplace_back(si, ki, c.option == ConsentOption::kWhileInUse ? c.session : session);
          }
        if (!live.empty()) std::tie(s, k, session) = live[pick(static_cast<int>(live.size()))];
      }
      const std::string& subj = subject[s];
      const std::string& purpose = purposes[k];

      if (op == kConsent) {
        service::Service::ConsentRequest r;
        r.subject = subj;
        r.purpose = purpose;
        auto notice = svc_->LatestNotice(purpose);
        ASSERT_TRUE(notice.ok());
        r.notice_id = notice->id;
        const ConsentOption options[] = {ConsentOption::kAlways, ConsentOption::kOnce, ConsentOption::kWhileInUse};
        r.option = options[Weighted(rng, {2, 1, 1})];
        r.session = r.option == ConsentOption::kWhileInUse ? std::string(kSessions[1 + pick(2)]) : session;
        const int64_t valid[] = {120, 3600, 2 * 86400};
        r.valid_seconds = valid[Weighted(rng, {1, 3, 2})];
        log << "  consent " << subj << " " << purpose << " " << ToString(r.option) << " session '" << r.session
            << "' valid " << r.valid_seconds << "s\n";
        auto c = svc_->GiveConsent(r, "test");
        ASSERT_TRUE(c.ok()) << c.status().ToString() << "\n" << log.str();
        model.consents[{subj, purpose}].push_back(
            {c->id, c->option, c->session, c->expires_at, c->notice_sha256, false, false});
      } else if (op == kWithdraw) {
        log << "  withdraw " << subj << " " << purpose << "\n";
        auto w = svc_->WithdrawConsent(subj, purpose, "test");
        if (!w.ok()) {
          EXPECT_EQ(w.status().kind(), ErrorKind::kNotFound) << w.status().ToString() << "\n" << log.str();
        }
        for (ModelConsent& m : model.consents[{subj, purpose}]) m.withdrawn = true;
      } else if (op == kEnrol) {
        const auto fit = model.Fitting(subj, purpose, session, now_);
        log << "  enrol " << subj << " " << purpose << " session '" << session << "' (model: "
            << (fit ? "fits consent " + std::to_string(fit->id) : std::string("no fitting consent")) << ")\n";
        auto e = svc_->Enrol(subj, purpose, photos_[{people[s], 1}], session, "test");
        ++outcomes["enrol " + Outcome(e.status())];
        if (e.ok()) {
          ++enrolled;
          REQUIREMENT("C1");
          REQUIREMENT("C5");
          REQUIREMENT("A2");
          REQUIREMENT("R1");
          EXPECT_TRUE(fit.has_value()) << "template produced without a fitting consent\n" << log.str();
        } else if (e.status().kind() == ErrorKind::kRefused) {
          ++refused;
          EXPECT_FALSE(fit.has_value()) << "refused (" << e.status().ToString() << ") although consent fits\n"
                                        << log.str();
        }
      } else if (op == kVerify) {  // the subject or the stranger
        const int who = pick(4) == 0 ? stranger : people[s];
        const auto fit = model.Fitting(subj, purposes[0], session, now_);
        log << "  verify " << subj << " " << purposes[0] << " session '" << session << "' photo of "
            << kPeople[who] << " (model: " << (fit ? "fits" : "no fitting consent") << ")\n";
        auto v = svc_->Verify(subj, purposes[0], photos_[{who, 2}], session, "test");
        ++outcomes["verify " + Outcome(v.status())];
        if (v.ok()) {
          ++verified;
          matched += v->match;
          EXPECT_TRUE(fit.has_value()) << "template matched without a fitting consent\n" << log.str();
          if (fit) {
            EXPECT_EQ(v->consent_id, fit->id) << log.str();
          }
        } else if (v.status().kind() == ErrorKind::kRefused) {
          ++refused;
          EXPECT_FALSE(fit.has_value()) << "refused (" << v.status().ToString() << ") although consent fits\n"
                                        << log.str();
        }
        sync_spent(subj, purposes[0]);
      } else if (op == kIdentify) {  // among the roster: mostly somebody enrolled in it
        std::vector<int> members;
        for (int si = 0; si < kSubjects; ++si)
          if (!svc_->store().GetTemplates(subject[si], purposes[1])->empty()) members.push_back(si);
        if (!members.empty() && pick(4) != 0) s = members[pick(static_cast<int>(members.size()))];
        const int who = pick(5) == 0 ? stranger : people[s];
        std::map<std::string, std::optional<ModelConsent>> fit;
        for (const std::string& x : subject) fit[x] = model.Fitting(x, purposes[1], "", now_);
        log << "  identify " << purposes[1] << " photo of " << kPeople[who] << "\n";
        auto r = svc_->Identify(purposes[1], photos_[{who, 2}], "test");
        ++outcomes["identify " + (r.ok() ? std::string(r->identified ? "named" : "unknown") : Outcome(r.status()))];
        if (r.ok() && r->identified) {
          ++identified;
          ASSERT_TRUE(fit.count(r->subject)) << "named somebody outside the scope\n" << log.str();
          EXPECT_TRUE(fit[r->subject].has_value())
              << "identified " << r->subject << " without a fitting consent\n" << log.str();
          log << "    -> " << r->subject << "\n";
        }
        for (const std::string& x : subject) sync_spent(x, purposes[1]);
      } else if (op == kTime) {  // time passes; the service's sweeper runs
        const int64_t by[] = {30, 600, 2 * 3600, 3 * 86400};
        const int64_t d = by[Weighted(rng, {4, 3, 2, 1})];
        now_ += d;
        log << "  +" << d << "s, sweep\n";
        auto sw = svc_->SweepRetention("test");
        ASSERT_TRUE(sw.ok()) << sw.status().ToString();
        swept += sw->templates_deleted > 0;
      } else if (op == kAlternative) {  // the person chooses the alternative
        auto key = std::make_tuple(subj, purpose, session);
        if (model.open_alternatives.count(key)) {
          log << "  alternative complete " << subj << " " << purpose << " session '" << session << "'\n";
          ASSERT_TRUE(svc_->CompleteAlternative(model.open_alternatives[key], "granted", "test").ok());
          model.open_alternatives.erase(key);
        } else {
          log << "  alternative choose " << subj << " " << purpose << " session '" << session << "'\n";
          auto a = svc_->ChooseAlternative(subj, purpose, "staff-card", session, "test");
          ASSERT_TRUE(a.ok()) << a.status().ToString() << "\n" << log.str();
          model.open_alternatives[key] = *a;
        }
      } else if (op == kRestrict) {  // the person restricts processing, or lifts it (REQ R1)
        if (model.restricted.count(subj)) {
          log << "  lift restriction " << subj << "\n";
          Status st = svc_->LiftRestriction(subj, "test");
          ASSERT_TRUE(st.ok()) << st.ToString() << "\n" << log.str();
          model.restricted.erase(subj);
        } else {
          log << "  restrict " << subj << "\n";
          auto r = svc_->RestrictSubject(subj, 0, "test");
          if (r.ok()) {
            model.restricted.insert(subj);
            ++restrictions;
          } else {  // a person facegate has never seen has nothing to restrict
            EXPECT_EQ(r.status().kind(), ErrorKind::kNotFound) << r.status().ToString() << "\n" << log.str();
          }
        }
      } else {  // a material change of the notice (REQ C3, N3)
        const int v = ++notice_version[k];
        log << "  notice " << purpose << " revision " << v << "\n";
        auto n = svc_->PublishNotice(purpose, NoticeText(v), "test");
        ASSERT_TRUE(n.ok()) << n.status().ToString();
        ApproveAssessment(*svc_, purpose);  // the new version made it due (REQ F1)
        model.notice_sha[purpose] = n->sha256;
      }

      // After every step: templates only where a consent still allows keeping
      // them, and no key where no template is left (REQ S5, S7).
      for (const std::string& x : subject) {
        for (const std::string& p : purposes) {
          auto t = svc_->store().GetTemplates(x, p);
          ASSERT_TRUE(t.ok()) << t.status().ToString();
          if (!t->empty()) {
            REQUIREMENT("C4");
            EXPECT_TRUE(model.Keeps(x, p, now_))
                << t->size() << " template(s) of " << x << " for " << p << " kept without consent\n"
                << log.str();
          } else if (svc_->store().GetWrappedPurposeKey(x, p).ok()) {
            // Shredding is per purpose: a template withdrawn or expired is unreadable in every copy
            // even while the person keeps templates for the other purpose (REQ S7).
            REQUIREMENT("S7");
            ADD_FAILURE() << "key of " << x << " for " << p << " kept with no template left\n" << log.str();
          }
        }
        auto count = svc_->store().CountTemplates(x);
        ASSERT_TRUE(count.ok());
        if (*count == 0) {
          REQUIREMENT("S7");
          EXPECT_EQ(svc_->store().GetWrappedSubjectKey(x).status().kind(), ErrorKind::kNotFound)
              << "key of " << x << " kept with no template left\n" << log.str();
        }
      }
      if (HasFailure()) return;
    }
  }
  std::printf("[ property ] block %d: %d sequences x %d steps: %d enrolled, %d verified (%d matched), %d identified, "
              "%d refused, %d sweeps deleted templates, %d restrictions\n",
              GetParam(), sequences, kSteps, enrolled, verified, matched, identified, refused, swept, restrictions);
  for (const auto& [what, n] : outcomes) std::printf("[ property ]   %-28s %d\n", what.c_str(), n);
  if (sequences >= 200) {
    EXPECT_GT(enrolled, sequences / 10);
    EXPECT_GT(matched, sequences / 20);
    EXPECT_GT(identified, sequences / 50);
    EXPECT_GT(refused, sequences / 5);
    EXPECT_GT(swept, 0);
    EXPECT_GT(restrictions, sequences / 20);
  }
}

INSTANTIATE_TEST_SUITE_P(Blocks, InvariantTest, ::testing::Range(0, 8));

}  // namespace
}  // namespace facegate
