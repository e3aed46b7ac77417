#pragma once
/*
 * Shared by the libFuzzer harnesses of tests/fuzz. Each fuzz_NAME.c
 * defines LLVMFuzzerTestOneInput(); built with -Dfuzz=true it links with
 * libFuzzer, otherwise with replay.c, which feeds it every file of the
 * directories named on its command line (the corpus and the regression
 * inputs), so each build checks them.
 *
 * A harness states what must hold and calls FUZZ_ASSERT: a broken
 * property aborts with the harness's file and line, which libFuzzer
 * records as a crash and the replay driver as a failed test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)
