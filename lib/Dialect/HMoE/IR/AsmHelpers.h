//===- AsmHelpers.h - assembly pieces shared by attrs and ops ---*- C++ -*-===//
//
// Private to the IR library.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H
#define HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/IR/OpImplementation.h"

namespace mlir::hmoe {

/// `linear`, `laplace`, `gaussian` or `activation<f>`.
ParseResult parseScoreSpec(AsmParser &parser, ScoreKind &kind,
                           std::optional<Activation> &activation);
void printScoreSpec(AsmPrinter &printer, ScoreKind kind,
                    std::optional<Activation> activation);

/// Custom directives of HMoEOps.td (AsmDirectives.cpp says what each
/// parses).
/// hmoe.moe's level clauses: `level(#hmoe.gate<...>, weight %w : type
/// [, bias %b : type] [, selection_bias %s : type] [, penalty %p : type])`.
ParseResult
parseLevels(OpAsmParser &parser, StringRef primary, ArrayAttr &gates,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &primaryOperands,
            SmallVectorImpl<Type> &primaryTypes,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &biases,
            SmallVectorImpl<Type> &biasTypes, DenseI64ArrayAttr &biasLevels,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &selectionBiases,
            SmallVectorImpl<Type> &selectionBiasTypes,
            DenseI64ArrayAttr &selectionBiasLevels,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &penalties,
            SmallVectorImpl<Type> &penaltyTypes,
            DenseI64ArrayAttr &penaltyLevels);
/// hmoe.route's: `level(#hmoe.gate<...>, logits %l : type
/// [, selection_bias %s : type])`.
ParseResult
parseLevels(OpAsmParser &parser, StringRef primary, ArrayAttr &gates,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &primaryOperands,
            SmallVectorImpl<Type> &primaryTypes,
            SmallVectorImpl<OpAsmParser::UnresolvedOperand> &selectionBiases,
            SmallVectorImpl<Type> &selectionBiasTypes,
            DenseI64ArrayAttr &selectionBiasLevels);
void printLevels(OpAsmPrinter &p, Operation *op, StringRef primary,
                 ArrayAttr gates, OperandRange primaryOperands,
                 TypeRange primaryTypes, OperandRange biases,
                 TypeRange biasTypes, DenseI64ArrayAttr biasLevels,
                 OperandRange selectionBiases, TypeRange selectionBiasTypes,
                 DenseI64ArrayAttr selectionBiasLevels, OperandRange penalties,
                 TypeRange penaltyTypes, DenseI64ArrayAttr penaltyLevels);
void printLevels(OpAsmPrinter &p, Operation *op, StringRef primary,
                 ArrayAttr gates, OperandRange primaryOperands,
                 TypeRange primaryTypes, OperandRange selectionBiases,
                 TypeRange selectionBiasTypes,
                 DenseI64ArrayAttr selectionBiasLevels);
ParseResult parseExpertClause(
    OpAsmParser &parser, ExpertAttr &expert, OpAsmParser::UnresolvedOperand &w1,
    Type &w1Type, std::optional<OpAsmParser::UnresolvedOperand> &wUp,
    Type &wUpType, std::optional<OpAsmParser::UnresolvedOperand> &b1,
    Type &b1Type, std::optional<OpAsmParser::UnresolvedOperand> &w2,
    Type &w2Type, std::optional<OpAsmParser::UnresolvedOperand> &b2,
    Type &b2Type);
void printExpertClause(OpAsmPrinter &p, Operation *op, ExpertAttr expert,
                       Value w1, Type w1Type, Value wUp, Type wUpType, Value b1,
                       Type b1Type, Value w2, Type w2Type, Value b2,
                       Type b2Type);
/// `shared(#hmoe.expert<...>, w1 %a : type, ..., gate %u : type)`,
/// optional.
ParseResult parseSharedExperts(
    OpAsmParser &parser, ExpertAttr &expert,
    std::optional<OpAsmParser::UnresolvedOperand> &w1, Type &w1Type,
    std::optional<OpAsmParser::UnresolvedOperand> &wUp, Type &wUpType,
    std::optional<OpAsmParser::UnresolvedOperand> &b1, Type &b1Type,
    std::optional<OpAsmParser::UnresolvedOperand> &w2, Type &w2Type,
    std::optional<OpAsmParser::UnresolvedOperand> &b2, Type &b2Type,
    std::optional<OpAsmParser::UnresolvedOperand> &gate, Type &gateType);
void printSharedExperts(OpAsmPrinter &p, Operation *op, ExpertAttr expert,
                        Value w1, Type w1Type, Value wUp, Type wUpType,
                        Value b1, Type b1Type, Value w2, Type w2Type, Value b2,
                        Type b2Type, Value gate, Type gateType);
/// A whole-number-tolerant f64 (see parseFloatParameter below): the value
/// of an optional float clause such as `capacity_factor 2`.
ParseResult parseFloatParameter(OpAsmParser &parser, FloatAttr &value);
void printFloatParameter(OpAsmPrinter &p, Operation *op, FloatAttr value);
/// The values of the `fill_order` and `capacity_rounding` clauses: a bare
/// keyword, with the keywords expected when it is unknown.
ParseResult parseFillOrder(OpAsmParser &parser, FillOrderAttr &order);
void printFillOrder(OpAsmPrinter &p, Operation *op, FillOrderAttr order);
ParseResult parseCapacityRounding(OpAsmParser &parser,
                                  CapacityRoundingAttr &rounding);
void printCapacityRounding(OpAsmPrinter &p, Operation *op,
                           CapacityRoundingAttr rounding);
ParseResult parseStatList(OpAsmParser &parser, ArrayAttr &stats);
void printStatList(OpAsmPrinter &p, Operation *op, ArrayAttr stats);
ParseResult parseScoreFunction(OpAsmParser &parser, ScoreKindAttr &kind,
                               ActivationAttr &activation);
void printScoreFunction(OpAsmPrinter &p, Operation *op, ScoreKindAttr kind,
                        ActivationAttr activation);

/// A float parameter: a float literal, or a decimal integer (`2` for 2.0),
/// which MLIR's own float parser rejects but which cannot mean anything else
/// where a float is expected.
ParseResult parseFloatParameter(AsmParser &parser, double &value);

} // namespace mlir::hmoe

#endif // HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H
