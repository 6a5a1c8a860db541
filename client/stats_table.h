// `actctl stats`: an actserver's /metrics as a human table, for a user
// without a Prometheus. From one scrape: totals since the server started;
// from two scrapes `interval` apart: rates and latency quantiles over that
// interval. Quantiles are estimated from the histogram buckets the way
// Prometheus's histogram_quantile() does (linear within a bucket).
#ifndef CLIENT_STATS_TABLE_H_
#define CLIENT_STATS_TABLE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/metrics_scrape.h"

namespace activation::client {

// One histogram series: finite upper bounds with cumulative counts, then
// the +Inf count and the sum.
struct BucketCounts {
  std::vector<double> upper_bounds;
  std::vector<double> cumulative;  // same length as upper_bounds
  double count = 0;                // the +Inf bucket
  double sum = 0;
};

// The q-quantile (0 < q < 1) as histogram_quantile() estimates it: NaN for
// an empty histogram; the largest finite bound if it falls in +Inf.
double HistogramQuantile(double q, const BucketCounts& buckets);

// The table for `now` (and, when `before` is non-null, the change since
// `before`, taken `interval` earlier). `source` names the target in the
// heading.
std::string FormatStats(const std::string& source,
                        const std::vector<MetricSample>& now,
                        const std::vector<MetricSample>* before,
                        absl::Duration interval);

// "38us", "1.25ms", "2.5s"; "-" for NaN.
std::string FormatSeconds(double seconds);

}  // namespace activation::client

#endif  // CLIENT_STATS_TABLE_H_
