// One piece of a sharded certificate run as a file (certify --shard-dir):
// the plan it ran, where and how long, and its rows with every figure exact
// (hex floats), so that merging the pieces gives the rows one run gives.
#ifndef TOOLS_CERTIFY_PARTIAL_H_
#define TOOLS_CERTIFY_PARTIAL_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/certify.h"

namespace activations::certify {

struct Partial {
  Plan plan;  // all but Plan::threads and Plan::bound (the rows hold the bounds)
  std::string target;   // SimdTarget()
  double seconds = 0;   // wall time of the piece
  std::string command;  // the command line that ran it
  std::vector<Row> rows;
};

// The file's text: a header line, "key value" lines, one tab-separated line
// per row, and "end" (a file without it was cut short).
std::string FormatPartial(const Partial& partial);
// The inverse of FormatPartial; INVALID_ARGUMENT naming the line that is not
// of that form, or a missing "end".
absl::StatusOr<Partial> ParsePartial(std::string_view text);

// Pieces of the same run: the same plan except for Plan::shard (and threads,
// bound).
bool SameRun(const Plan& a, const Plan& b);

// The file name of piece plan.shard of plan.shards: "float32-3-of-64.partial".
std::string PartialFileName(const Plan& plan);

// The whole run from its pieces: every shard 0..N-1 exactly once, all of
// the same run; rows merged (MergeRows), seconds summed, plan.shard = 0 and
// plan.shards = 1. INVALID_ARGUMENT naming the missing or repeated shards,
// or the piece of another run.
absl::StatusOr<Partial> MergePartials(const std::vector<Partial>& pieces);

}  // namespace activations::certify

#endif  // TOOLS_CERTIFY_PARTIAL_H_
