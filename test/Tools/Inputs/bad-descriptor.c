/* Calls @flat (test/Tools/Inputs/flat.mlir, through hmoe-compile's header)
   with one argument's descriptor altered as argv[1] says: "ok" (as the
   signature says), "size" (A [4, 8, 9]: a static size that is not the
   signature's), "offset" (x at offset 8), "strides" (x as a column-major
   view) or "single" (x [1, 8] with an arbitrary stride in its dimension of
   one element, which NumPy produces and which is fine). The "into-..."
   cases call @flat_into, which writes y into a buffer of the caller's:
   "into-ok" ([3, 8], also compared with @flat's y), "into-rows" ([2, 8]:
   another token count than x's), "into-static" ([3, 9]), "into-overlap"
   (y's buffer inside x's) and "into-gate" (y's buffer the gate's). */
#include "libflat.h"

#include <stdio.h>
#include <string.h>

static float x[64], gate[32], a[4 * 8 * 9], y[64];

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "ok";
  for (int i = 0; i < 64; ++i)
    x[i] = 0.25f * (i % 7);
  for (int i = 0; i < 32; ++i)
    gate[i] = 0.125f * (i % 5);
  for (int i = 0; i < 4 * 8 * 9; ++i)
    a[i] = 0.5f;
  hmoe_memref_float_2d xs = {x, x, 0, {3, 8}, {8, 1}};
  hmoe_memref_float_2d gs = {gate, gate, 0, {4, 8}, {8, 1}};
  hmoe_memref_float_3d as = {a, a, 0, {4, 8, 8}, {64, 8, 1}};
  if (!strcmp(how, "size")) {
    as.sizes[2] = 9;
    as.strides[0] = 72;
    as.strides[1] = 9;
  } else if (!strcmp(how, "offset")) {
    xs.offset = 8;
  } else if (!strcmp(how, "strides")) {
    xs.strides[0] = 1;
    xs.strides[1] = 3;
  } else if (!strcmp(how, "single")) {
    xs.sizes[0] = 1;
    xs.strides[0] = 12345;
  }
  if (!strncmp(how, "into-", 5)) {
    hmoe_memref_float_2d ys = {y, y, 0, {3, 8}, {8, 1}};
    if (!strcmp(how, "into-rows")) {
      ys.sizes[0] = 2;
    } else if (!strcmp(how, "into-static")) {
      ys.sizes[1] = 9;
      ys.strides[0] = 9;
    } else if (!strcmp(how, "into-overlap")) {
      ys.allocated = ys.aligned = x + 16;
    } else if (!strcmp(how, "into-gate")) {
      ys.allocated = ys.aligned = gate;
    }
    _mlir_ciface_flat_into(&xs, &gs, &as, &ys);
    hmoe_flat_results reference;
    _mlir_ciface_flat(&reference, &xs, &gs, &as);
    int same = !memcmp(reference.result0.aligned, y, sizeof(float) * 24);
    printf("%s: y [%lld, %lld], y[0][0] = %g, %s @flat's\n", how,
           (long long)ys.sizes[0], (long long)ys.sizes[1], y[0],
           same ? "equal to" : "not equal to");
    hmoe_free(reference.result0.allocated);
    return same ? 0 : 1;
  }
  hmoe_flat_results results;
  _mlir_ciface_flat(&results, &xs, &gs, &as);
  printf("%s: y [%lld, %lld], y[0][0] = %g\n", how,
         (long long)results.result0.sizes[0],
         (long long)results.result0.sizes[1],
         results.result0.aligned[results.result0.offset]);
  hmoe_free(results.result0.allocated);
  return 0;
}
