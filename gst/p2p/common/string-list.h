/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <string>
#include <vector>

namespace p2p {

/* Splits a comma-separated property value ("a, b,c") into its non-empty,
 * trimmed items. */
std::vector<std::string> split_list (const std::string &text);

} // namespace p2p
