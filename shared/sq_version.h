// SPDX-License-Identifier: MIT
// sq_version.h -- the release version every program prints for --version.
#ifndef SQ_VERSION_H
#define SQ_VERSION_H
#define SQ_VERSION "0.1.0"
#endif
