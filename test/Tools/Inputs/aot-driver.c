/* Calls the hmoe-compile'd aot_layer (aot-layer.mlir) from C, with no LLVM
 * or MLIR: reads T and the arguments as raw float32 files from a directory,
 * writes y and load. */
#include "libaot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *readAll(const char *dir, const char *name, size_t count) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
  FILE *f = fopen(path, "rb");
  float *data = malloc(count * sizeof(float) + 1);
  if (!f || fread(data, sizeof(float), count, f) != count) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  return data;
}

#define DESC2(name, p, a, b)                                                   \
  hmoe_memref_float_2d name = {p, p, 0, {a, b}, {b, 1}}
#define DESC3(name, p, a, b, c)                                                \
  hmoe_memref_float_3d name = {p, p, 0, {a, b, c}, {(b) * (c), c, 1}}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  const char *dir = argv[1];
  int64_t T = atoll(argv[2]);
  float *x = readAll(dir, "x", T * 16), *g0 = readAll(dir, "gate0", 4 * 16),
        *g1 = readAll(dir, "gate1", 4 * 2 * 16),
        *w1 = readAll(dir, "w1", 8 * 8 * 16), *b1 = readAll(dir, "b1", 8 * 8),
        *w2 = readAll(dir, "w2", 8 * 16 * 8);
  DESC2(dx, x, T, 16);
  DESC2(dg0, g0, 4, 16);
  DESC3(dg1, g1, 4, 2, 16);
  DESC3(dw1, w1, 8, 8, 16);
  DESC2(db1, b1, 8, 8);
  DESC3(dw2, w2, 8, 16, 8);
  /* Twice: the second call reuses the large temporaries the first freed
     (the library's buffer cache) and must give the same bits. */
  hmoe_aot_layer_results first, r;
  _mlir_ciface_aot_layer(&first, &dx, &dg0, &dg1, &dw1, &db1, &dw2);
  _mlir_ciface_aot_layer(&r, &dx, &dg0, &dg1, &dw1, &db1, &dw2);
  for (int64_t t = 0; t < r.result0.sizes[0]; ++t)
    for (int64_t d = 0; d < r.result0.sizes[1]; ++d) {
      float a = first.result0.aligned[first.result0.offset +
                                      t * first.result0.strides[0] +
                                      d * first.result0.strides[1]];
      float b = r.result0.aligned[r.result0.offset + t * r.result0.strides[0] +
                                  d * r.result0.strides[1]];
      if (memcmp(&a, &b, sizeof(float)) != 0) {
        fprintf(stderr, "the second call differs at (%lld, %lld)\n",
                (long long)t, (long long)d);
        return 3;
      }
    }
  /* The destination-passing entry writes the same bits into the caller's
     buffers, twice in a row (the second time over the first's values). */
  /* The results' sizes first, as a caller sizing its buffers does. */
  int64_t shapes[3] = {-1, -1, -1};
  hmoe_memref_int64_t_1d dshapes = {shapes, shapes, 0, {3}, {1}};
  _mlir_ciface_aot_layer_result_shapes(&dx, &dg0, &dg1, &dw1, &db1, &dw2,
                                       &dshapes);
  if (shapes[0] != T || shapes[1] != 16 || shapes[2] != 8) {
    fprintf(stderr, "aot_layer_result_shapes: [%lld, %lld], [%lld]\n",
            (long long)shapes[0], (long long)shapes[1], (long long)shapes[2]);
    return 3;
  }
  float *y = malloc(T * 16 * sizeof(float) + 1);
  int64_t load[8];
  hmoe_memref_float_2d dy = {y, y, 0, {T, 16}, {16, 1}};
  hmoe_memref_int64_t_1d dload = {load, load, 0, {8}, {1}};
  for (int pass = 0; pass < 2; ++pass) {
    _mlir_ciface_aot_layer_into(&dx, &dg0, &dg1, &dw1, &db1, &dw2, &dy,
                                &dload);
    if (memcmp(y, first.result0.aligned, T * 16 * sizeof(float)) != 0 ||
        memcmp(load, first.result1.aligned, sizeof(load)) != 0) {
      fprintf(stderr, "aot_layer_into differs from aot_layer (pass %d)\n",
              pass);
      return 3;
    }
  }
  free(y);
  hmoe_free(first.result0.allocated);
  hmoe_free(first.result1.allocated);

  char path[4096];
  snprintf(path, sizeof(path), "%s/y.bin", dir);
  FILE *f = fopen(path, "wb");
  for (int64_t t = 0; t < r.result0.sizes[0]; ++t)
    for (int64_t d = 0; d < r.result0.sizes[1]; ++d)
      fwrite(&r.result0.aligned[r.result0.offset + t * r.result0.strides[0] +
                                d * r.result0.strides[1]],
             sizeof(float), 1, f);
  fclose(f);
  snprintf(path, sizeof(path), "%s/load.bin", dir);
  f = fopen(path, "wb");
  for (int64_t e = 0; e < r.result1.sizes[0]; ++e)
    fwrite(&r.result1.aligned[r.result1.offset + e * r.result1.strides[0]],
           sizeof(int64_t), 1, f);
  fclose(f);
  hmoe_free(r.result0.allocated);
  hmoe_free(r.result1.allocated);
  hmoe_aot_layer_release_buffers();
  printf("called aot_layer and aot_layer_into on %lld tokens\n", (long long)T);
  return 0;
}
