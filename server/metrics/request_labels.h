// The metrics' label values for this API: the catalogue's function names and
// the proto's Mode and DType enums (so a function or dtype added to the
// catalogue or the proto is labelled without an edit here), and the labels
// of one ComputeRequest read straight from the message -- so a request that
// fails validation is still counted under what it asked for, as far as that
// was valid.
#ifndef SERVER_METRICS_REQUEST_LABELS_H_
#define SERVER_METRICS_REQUEST_LABELS_H_

#include "activation/v1/activation.pb.h"
#include "activations/evaluate.h"
#include "server/metrics/server_metrics.h"

namespace actserver::metrics {

// functions: the catalogue in ActivationId order; modes and dtypes: the
// enums' values after *_UNSPECIFIED, lower-cased without their prefix
// ("forward_and_derivative", "float32"), in number order.
ServerMetrics::LabelValues ApiLabelValues();

// The request's function (0 unless a catalogue name), mode and input dtype
// (0 when unspecified or unknown) as ApiLabelValues' indices. Cheap: one
// catalogue lookup, no allocation. Thread-safe.
RequestLabels LabelsOf(const activation::v1::ComputeRequest& request);

// The same from what a decoder produced (for a request path that never
// builds a ComputeRequest): the call's function and mode, the input's dtype.
// Thread-safe.
RequestLabels LabelsOf(const activations::Call& call, activations::DType dtype);
inline RequestLabels LabelsOf(const activations::Job& job) {
  return LabelsOf(job.call, job.dtype);
}

}  // namespace actserver::metrics

#endif  // SERVER_METRICS_REQUEST_LABELS_H_
