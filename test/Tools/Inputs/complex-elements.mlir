// A function on complex elements, which no layer takes (hmoe-run-errors.test).
func.func @f(%a: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  return %a : tensor<3xcomplex<f32>>
}
