/* SPDX-License-Identifier: MIT
 * gantry: the command-line client of gantryd. Everything lives in the gt_cli library
 * (every other file of src/cli) so the unit tests can reach it; see cli.h. */
#include "cli/cli.h"

int main(int argc, char **argv) {
    return gt_cli_main(argc, argv);
}
