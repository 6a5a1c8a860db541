// actload's tallies: what one completion adds to a thread's Tally (its
// progress interval, and in the measured phase the counts, latencies,
// errors by code and verification figures), the interval a progress sample
// takes, and the tallies merged into the run's LoadResult. Which completion
// goes to which tally, and when, is the runner's (actload_runner.cc); what a
// verdict says, actload_verify's.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/actload_internal.h"

namespace activation::client::actload_internal {

Tally::Tally(std::size_t targets) {
  absl::MutexLock lock(&mu_);
  result_.per_target.assign(targets, 0);
}

void Tally::StartMeasuring(Clock::time_point measure_start) {
  absl::MutexLock lock(&mu_);
  last_completion_ = measure_start;
}

void Tally::Record(Clock::time_point now, int64_t latency_nanos, bool live,
                   bool measured, int target, const absl::Status& status,
                   const Payload& payload, const Verdict* verdict) {
  absl::MutexLock lock(&mu_);
  if (live) {
    ++(status.ok() ? interval_ok_ : interval_errors_);
    interval_latency_.Record(latency_nanos);
  }
  if (!measured) return;
  LoadResult& r = result_;
  last_completion_ = std::max(last_completion_, now);
  ++r.per_target[target];
  if (status.ok()) {
    ++r.ok;
    r.ok_latency.Record(latency_nanos);
    r.elements += payload.elements;
    r.payload_bytes += payload.payload_bytes;
  } else {
    ++r.errors;
    error_latency_.Record(latency_nanos);
    ++r.errors_by_code[absl::StatusCodeToString(status.code())];
    if (r.first_error.empty()) {
      r.first_error = absl::StrCat(absl::StatusCodeToString(status.code()),
                                   ": ", status.message());
    }
  }
  if (verdict != nullptr) {
    r.verified_values += verdict->values;
    KeepWorst(verdict->worst_ulp, &r.worst_ulp);
    if (!verdict->problem.empty()) {
      ++r.wrong;
      if (r.first_wrong.empty()) r.first_wrong = verdict->problem;
    }
  }
}

void Tally::TakeInterval(ProgressSample* sample) {
  absl::MutexLock lock(&mu_);
  sample->ok += std::exchange(interval_ok_, 0);
  sample->errors += std::exchange(interval_errors_, 0);
  sample->latency.Merge(interval_latency_);
  interval_latency_.Clear();
}

LoadResult Tally::Merge(const std::vector<std::unique_ptr<Tally>>& tallies,
                        std::size_t targets, Clock::time_point measure_start) {
  LoadResult total;
  total.per_target.assign(targets, 0);
  Clock::time_point last = measure_start;
  for (const auto& tally : tallies) {
    absl::MutexLock lock(&tally->mu_);
    const LoadResult& r = tally->result_;
    last = std::max(last, tally->last_completion_);
    total.ok += r.ok;
    total.errors += r.errors;
    for (const auto& [code, n] : r.errors_by_code) total.errors_by_code[code] += n;
    if (total.first_error.empty()) total.first_error = r.first_error;
    total.wrong += r.wrong;
    total.verified_values += r.verified_values;
    KeepWorst(r.worst_ulp, &total.worst_ulp);
    if (total.first_wrong.empty()) total.first_wrong = r.first_wrong;
    total.elements += r.elements;
    total.payload_bytes += r.payload_bytes;
    total.ok_latency.Merge(r.ok_latency);
    total.latency.Merge(r.ok_latency);
    total.latency.Merge(tally->error_latency_);
    for (std::size_t t = 0; t < r.per_target.size(); ++t) {
      total.per_target[t] += r.per_target[t];
    }
  }
  total.elapsed = absl::FromChrono(last - measure_start);
  return total;
}

}  // namespace activation::client::actload_internal
