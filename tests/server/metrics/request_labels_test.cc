#include "server/metrics/request_labels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "activations/catalog.h"

namespace actserver::metrics {
namespace {

namespace v1 = ::activation::v1;

TEST(RequestLabelsTest, ValuesComeFromTheCatalogueAndTheEnums) {
  const ServerMetrics::LabelValues values = ApiLabelValues();
  ASSERT_EQ(values.functions.size(), activations::Catalog().size());
  for (std::size_t i = 0; i < values.functions.size(); ++i) {
    EXPECT_EQ(values.functions[i], activations::Catalog()[i].name);
  }
  ASSERT_GE(values.modes.size(), 4u);
  EXPECT_EQ(values.modes[0], "forward");
  EXPECT_EQ(values.modes[2], "forward_and_derivative");
  EXPECT_EQ(values.modes[3], "backward");
  ASSERT_GE(values.dtypes.size(), 2u);
  EXPECT_EQ(values.dtypes[0], "float32");
  EXPECT_EQ(values.dtypes[1], "float64");
  // Every enum value is labelled: the numbers are contiguous from 1.
  EXPECT_EQ(static_cast<int>(values.modes.size()),
            v1::Mode_descriptor()->value_count() - 1);
  EXPECT_EQ(static_cast<int>(values.dtypes.size()),
            v1::DType_descriptor()->value_count() - 1);
}

TEST(RequestLabelsTest, LabelsOfAValidRequest) {
  const ServerMetrics::LabelValues values = ApiLabelValues();
  v1::ComputeRequest request;
  request.set_function("tanh");
  request.set_mode(v1::MODE_BACKWARD);
  request.mutable_input()->mutable_raw()->set_dtype(v1::DTYPE_FLOAT64);
  const RequestLabels labels = LabelsOf(request);
  ASSERT_GT(labels.function, 0);
  EXPECT_EQ(values.functions[labels.function - 1], "tanh");
  EXPECT_EQ(values.modes[labels.mode - 1], "backward");
  EXPECT_EQ(values.dtypes[labels.dtype - 1], "float64");

  request.mutable_input()->mutable_float32()->add_values(1);
  EXPECT_EQ(values.dtypes[LabelsOf(request).dtype - 1], "float32");
  request.mutable_input()->mutable_float64()->add_values(1);
  EXPECT_EQ(values.dtypes[LabelsOf(request).dtype - 1], "float64");
}

TEST(RequestLabelsTest, LabelsOfADecodedJobMatchTheMessages) {
  // Every function x mode x dtype: the job's labels equal the request's.
  for (const activations::ActivationSpec& spec : activations::Catalog()) {
    for (v1::Mode mode : {v1::MODE_FORWARD, v1::MODE_DERIVATIVE,
                          v1::MODE_FORWARD_AND_DERIVATIVE, v1::MODE_BACKWARD}) {
      for (v1::DType dtype : {v1::DTYPE_FLOAT32, v1::DTYPE_FLOAT64}) {
        v1::ComputeRequest request;
        request.set_function(std::string(spec.name));
        request.set_mode(mode);
        request.mutable_input()->mutable_raw()->set_dtype(dtype);
        activations::ActivationId id;
        ASSERT_NE(activations::FindSpec(spec.name, &id), nullptr);
        activations::Job job;
        job.call.id = id;
        job.call.mode = mode == v1::MODE_FORWARD ? activations::Mode::kForward
                        : mode == v1::MODE_DERIVATIVE
                            ? activations::Mode::kDerivative
                        : mode == v1::MODE_BACKWARD
                            ? activations::Mode::kBackward
                            : activations::Mode::kForwardAndDerivative;
        job.dtype = dtype == v1::DTYPE_FLOAT32 ? activations::DType::kFloat32
                                               : activations::DType::kFloat64;
        const RequestLabels a = LabelsOf(request), b = LabelsOf(job);
        EXPECT_EQ(a.function, b.function) << spec.name;
        EXPECT_EQ(a.mode, b.mode) << spec.name << " " << mode;
        EXPECT_EQ(a.dtype, b.dtype) << spec.name << " " << dtype;
        EXPECT_GT(b.mode, 0);
        EXPECT_GT(b.dtype, 0);
      }
    }
  }
}

TEST(RequestLabelsTest, WhatIsMissingOrInvalidIsUnknown) {
  v1::ComputeRequest request;  // nothing set
  RequestLabels labels = LabelsOf(request);
  EXPECT_EQ(labels.function, 0);
  EXPECT_EQ(labels.mode, 0);
  EXPECT_EQ(labels.dtype, 0);
  request.set_function("sigmod");  // not a catalogue name: no new series
  request.set_mode(static_cast<v1::Mode>(77));
  request.mutable_input()->mutable_raw()->set_dtype(
      static_cast<v1::DType>(99));
  labels = LabelsOf(request);
  EXPECT_EQ(labels.function, 0);
  EXPECT_EQ(labels.mode, 0);
  EXPECT_EQ(labels.dtype, 0);
}

}  // namespace
}  // namespace actserver::metrics
