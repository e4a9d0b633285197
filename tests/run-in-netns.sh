#!/bin/sh
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs a command in a private network namespace where only lo exists, so
# WebRTC/ICE can neither reach nor pair with any other address (DESIGN.md §6,
# §7). Needs root (or CAP_SYS_ADMIN). Usage: run-in-netns.sh COMMAND [ARG...]
exec unshare --net sh -c 'ip link set lo up && exec "$0" "$@"' "$@"
