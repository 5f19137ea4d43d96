// A Grant is the compliance core's authorization for one face operation.
// Only policy::Gate can make one (private constructor), and every engine call
// that detects, extracts or matches a face takes `const Grant&`; so processing
// a face without authorization does not compile (REQ C1, N1; DESIGN "Grant").
#pragma once

#include <cstdint>
#include <string>

namespace facegate {

namespace policy {
class Gate;
}  // namespace policy

// The face operation a grant authorizes.
enum class Operation {
  kEnrol,     // detect + extract a template to keep (SC1/SC2 enrolment)
  kVerify,    // detect + extract a probe + compare with one subject (SC1)
  kIdentify,  // detect + extract a probe + search a scope (SC2)
  kResearch,  // evaluation on labelled data: in memory only, nothing stored (REQ P3)
  kDisclose,  // open a subject's stored templates to hand them to one named recipient (REQ C8)
};

const char* ToString(Operation op);

class Grant {
 public:
  Grant(const Grant&) = delete;  // a grant is not duplicated or handed on (REQ C5)
  Grant& operator=(const Grant&) = delete;
  Grant(Grant&&) = default;
  Grant& operator=(Grant&&) = default;

  Operation operation() const { return operation_; }
  // Pseudonymous subject id; empty for identification and research.
  const std::string& subject() const { return subject_; }
  const std::string& purpose() const { return purpose_; }
  // The consent this grant rests on (0 for research grants; for kDisclose the
  // disclosure consent naming the recipient).
  int64_t consent_id() const { return consent_id_; }
  // Unique id of this authorization, written in the audit log.
  const std::string& id() const { return id_; }
  // True when results may leave memory (enrolment); false for probes and research.
  bool may_store() const { return operation_ == Operation::kEnrol; }

 private:
  friend class policy::Gate;
  Grant(Operation op, std::string subject, std::string purpose, int64_t consent_id, std::string id)
      : operation_(op),
        subject_(std::move(subject)),
        purpose_(std::move(purpose)),
        consent_id_(consent_id),
        id_(std::move(id)) {}

  Operation operation_;
  std::string subject_;
  std::string purpose_;
  int64_t consent_id_;
  std::string id_;
};

// Authorization for the analysis scenario (REQ SC3, AN1): counts and
// attributes only. Engine calls that take an AnalysisGrant return attributes,
// never a template, crop or landmark set; and no call that yields those
// accepts an AnalysisGrant, so identity cannot leak from an analysis run.
class AnalysisGrant {
 public:
  AnalysisGrant(const AnalysisGrant&) = delete;
  AnalysisGrant& operator=(const AnalysisGrant&) = delete;
  AnalysisGrant(AnalysisGrant&&) = default;
  AnalysisGrant& operator=(AnalysisGrant&&) = default;

  const std::string& purpose() const { return purpose_; }
  const std::string& id() const { return id_; }

 private:
  friend class policy::Gate;
  AnalysisGrant(std::string purpose, std::string id) : purpose_(std::move(purpose)), id_(std::move(id)) {}
  std::string purpose_;
  std::string id_;
};

// Inferences beyond age, gender and expression that the catalogue lists as sensitive (REQ AN3;
// policy/inference.h): off for every purpose until switched on for it with a declared use, a
// notice that names it and an approved impact assessment.
enum class SensitiveInference {
  kDrowsiness,  // eye closure, blinks, yawns: a state of the body, only for driving safety
};
const char* ToString(SensitiveInference i);

// Authorization for one sensitive inference under an analysis purpose (REQ AN3). The engine
// calls that infer it (eye state) take an InferenceGrant, never an AnalysisGrant, so a purpose
// that did not switch the inference on cannot run it: that does not compile.
class InferenceGrant {
 public:
  InferenceGrant(const InferenceGrant&) = delete;
  InferenceGrant& operator=(const InferenceGrant&) = delete;
  InferenceGrant(InferenceGrant&&) = default;
  InferenceGrant& operator=(InferenceGrant&&) = default;

  const std::string& purpose() const { return purpose_; }
  const std::string& id() const { return id_; }
  SensitiveInference inference() const { return inference_; }

 private:
  friend class policy::Gate;
  InferenceGrant(std::string purpose, std::string id, SensitiveInference inference)
      : purpose_(std::move(purpose)), id_(std::move(id)), inference_(inference) {}
  std::string purpose_;
  std::string id_;
  SensitiveInference inference_;
};

}  // namespace facegate
