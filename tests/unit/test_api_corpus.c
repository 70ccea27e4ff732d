/* SPDX-License-Identifier: MIT
 * Replays the fuzzing corpus of gantryd's request handling (tests/fuzz/corpus/api/)
 * through the libFuzzer harness itself, built here as plain code: each input goes through
 * an in-process controller's HTTP handler and must get a well-formed answer (the harness
 * aborts otherwise). Inputs that once broke it stay in the corpus as regression tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>

#include "../fuzz/fuzz_api.c"
#include "srcfile.h"

static void test_api_corpus(void **state) {
    (void)state;
    char path[1024], file[1400];
    src_path(path, sizeof path, "tests/fuzz/corpus/api");
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort), count = 0;
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        snprintf(file, sizeof file, "%s/%s", path, ents[i]->d_name);
        size_t len = 0;
        char *data = ents[i]->d_name[0] != '.' ? read_file(file, &len) : NULL;
        if (data) {
            LLVMFuzzerTestOneInput((const uint8_t *)data, len);
            free(data);
            count++;
        }
        free(ents[i]);
    }
    free(ents);
    fuzz_api_cleanup();
    assert_true(count >= 8);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_api_corpus)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
