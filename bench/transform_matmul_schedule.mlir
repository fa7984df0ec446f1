// Transform-dialect schedule (upstream MLIR 22 ops only) for @matmul of
// transform_matmul.mlir, loaded with
//   mlir-opt --transform-preload-library=transform-library-paths=THIS
//            --transform-interpreter
// $THREADS, $MR, $NR, $NC and $KC are filled in by transform_matmul.py.
//
// Loop nest produced (BLIS order), per thread:
//   for jc < N step NC:              B block KC x NC packed into a buffer
//     for pc < K step KC:
//       for ir < M/THREADS step MR:
//         for jr < NC step NR:       C tile MR x NR held in registers
//           for p < KC:              MR broadcasts of A x NR/16 rows of B
//             C[ir:+MR, jr:+NR] += A[ir:+MR, p] (outer) Bpacked[p, jr:+NR]
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(
      %root: !transform.any_op {transform.readonly}) {
    %func = transform.structured.match ops{["func.func"]}
        attributes{sym_name = "matmul"} in %root
        : (!transform.any_op) -> !transform.any_op
    %mm = transform.structured.match ops{["linalg.matmul"]} in %func
        : (!transform.any_op) -> !transform.any_op
    %fill = transform.structured.match ops{["linalg.fill"]} in %func
        : (!transform.any_op) -> !transform.any_op

    // 1. One block of M / THREADS rows per thread (scf.forall, lowered to an
    //    OpenMP parallel loop); the zero fill of C goes into each block.
    %mm_t, %forall = transform.structured.tile_using_forall %mm
        num_threads [${THREADS}, 0, 0]
        : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %fill_t, %forall2 = transform.structured.fuse_into_containing_op %fill
        into %forall
        : (!transform.any_op, !transform.any_op)
        -> (!transform.any_op, !transform.any_op)

    // 2. Cache blocks: NC columns x KC rows of B (loops jc, pc).
    %mm_c, %cache_loops:2 = transform.structured.tile_using_for %mm_t
        tile_sizes [0, ${NC}, ${KC}]
        : (!transform.any_op)
        -> (!transform.any_op, !transform.any_op, !transform.any_op)

    // 3. Pack that block of B: a nofold pad (no padding: the sizes divide)
    //    is a copy into a fresh KC x NC buffer, allocated here and copied
    //    with linalg.copy (memref.copy would be an element-wise runtime
    //    call). Unpacked, the micro-kernel's rows of B lie N * 4 bytes apart,
    //    which for a power-of-two N maps them to a few cache sets: at 2048^3
    //    an 8x32 tile reached 402 GFLOP/s unpacked, 435 packed (equal within
    //    noise at 1536^3).
    %mm_p, %pad, %copy_back = transform.structured.pad %mm_c {
        padding_values = [0.0 : f32, 0.0 : f32, 0.0 : f32],
        padding_dimensions = [0, 1, 2], nofold_flags = [0, 1, 0],
        copy_back_op = "none"}
        : (!transform.any_op)
        -> (!transform.any_op, !transform.any_op, !transform.any_op)
    %pad_b = transform.get_producer_of_operand %mm_p[1]
        : (!transform.any_op) -> !transform.any_op
    %packed, %pack_ops = transform.structured.bufferize_to_allocation %pad_b
        {memcpy_op = "linalg.copy"} : !transform.any_op

    // 4. Register tiles: MR x NR of C, one step of k at a time (loops ir,
    //    jr, p).
    %mm_r, %reg_loops:3 = transform.structured.tile_using_for %mm_p
        tile_sizes [${MR}, ${NR}, 1]
        : (!transform.any_op)
        -> (!transform.any_op, !transform.any_op, !transform.any_op,
            !transform.any_op)

    // 5. Vectorize the MR x NR x 1 matmul into a vector.contract (the
    //    multiply + multi_reduction that vectorization makes is folded back
    //    into a contraction) on transfer_reads of A, B and C.
    transform.structured.vectorize %mm_r : !transform.any_op
    transform.apply_patterns to %func {
      transform.apply_patterns.vector.reduction_to_contract
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.canonicalization
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
    } : !transform.any_op
    transform.apply_cse to %func : !transform.any_op

    // 6. Keep the C tile in registers across the k loop: its transfer_read /
    //    transfer_write pair moves out of the loop, the vector becomes a
    //    loop-carried value.
    transform.loop.hoist_loop_invariant_subsets %reg_loops#2
        : !transform.any_op

    // 7. vector.contract -> outer products -> one FMA per row of the tile
    //    (an A element broadcast times NR / 16 zmm of B); transfers to 1-D
    //    loads and stores.
    transform.apply_patterns to %func {
      transform.apply_patterns.vector.lower_contraction
          lowering_strategy = "outerproduct"
      transform.apply_patterns.vector.lower_outerproduct
      transform.apply_patterns.vector.transfer_permutation_patterns
      transform.apply_patterns.vector.lower_transfer max_transfer_rank = 1
      transform.apply_patterns.vector.transfer_to_scf max_transfer_rank = 1
          full_unroll = true
    } : !transform.any_op
    transform.yield
  }
}
