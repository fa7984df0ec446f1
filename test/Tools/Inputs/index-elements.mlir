// A function on index elements, which no layer takes (hmoe-run-errors.test).
func.func @f(%a: tensor<3xindex>) -> tensor<3xindex> {
  return %a : tensor<3xindex>
}
