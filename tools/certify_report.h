// The certificate's report: its rows as a markdown table, and the section of
// docs/accuracy.md that the table replaces.
#ifndef TOOLS_CERTIFY_REPORT_H_
#define TOOLS_CERTIFY_REPORT_H_

#include <string>
#include <string_view>
#include <vector>

#include "tools/certify.h"

namespace activations::certify {

// A heading line naming what was checked (exhaustive or sampled), on which
// SIMD target (`target`), in how many seconds and by which command, then one
// table line per row, in order.
std::string MarkdownTable(const Plan& plan, const std::vector<Row>& rows, double seconds,
                          std::string_view command, std::string_view target);

// `text` with the part between the lines "<!-- certify:NAME:begin -->" and
// "<!-- certify:NAME:end -->" replaced by `body` (which should end in a
// newline); the markers and the rest of the text are kept. Without both
// markers, in that order, the section is appended at the end, markers and
// all, after a blank line.
std::string ReplaceSection(std::string text, std::string_view name, std::string_view body);

}  // namespace activations::certify

#endif  // TOOLS_CERTIFY_REPORT_H_
