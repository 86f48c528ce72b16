"""Query cost limit: an estimate of how many nodes a query may return, refused when too large.

Each selected field costs the number of times it can appear: the product of the ``first``
arguments (given, or the field's default; a variable, or anything larger, counts as the largest
page) of the list fields above it. Depth, token and alias limits bound the shape of a query;
this bounds the fan-out of nested pages (``groups(first: 100) { members(first: 100) }`` is
10,000 members).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
)

MAX_NESTING = 32  # far above the depth limit; only stops fragment cycles early


def cost_rule(max_cost: int, variable_first: int) -> type[ValidationRule]:
    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = _root_type(self.context.schema, node.operation)
            if root is None:
                return
            cost = _set_cost(self, node.selection_set, root, 1, variable_first, 0)
            if cost > max_cost:
                self.report_error(GraphQLError(
                    f"query cost {cost} exceeds the maximum of {max_cost} (estimated nodes, "
                    "from the `first` of nested lists); ask for smaller pages", node))

    return QueryCost


def _root_type(schema: Any, operation: OperationType) -> GraphQLObjectType | None:
    root: GraphQLObjectType | None = {
        OperationType.QUERY: schema.query_type, OperationType.MUTATION: schema.mutation_type,
    }.get(operation)
    return root


def _factor(field: FieldNode, definition: Any, variable_first: int) -> int:
    given = next((a.value for a in field.arguments or () if a.name.value == "first"), None)
    if isinstance(given, IntValueNode):
        # A larger page is refused by the field itself, so it never yields more than this.
        return min(max(int(given.value), 0), variable_first)
    if isinstance(given, VariableNode):
        return variable_first
    argument = definition.args.get("first") if definition is not None else None
    default = getattr(argument, "default_value", None)
    return default if isinstance(default, int) else 1


def _set_cost(rule: ValidationRule, selections: SelectionSetNode | None, parent: Any,
              multiplier: int, variable_first: int, depth: int) -> int:
    if selections is None or depth > MAX_NESTING:
        return 0
    total = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            fields = getattr(parent, "fields", {})
            definition = fields.get(selection.name.value)
            child = get_named_type(definition.type) if definition is not None else None
            inner = multiplier * _factor(selection, definition, variable_first)
            total += multiplier + _set_cost(rule, selection.selection_set, child, inner,
                                            variable_first, depth + 1)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = rule.context.schema.get_type(condition.name.value) if condition else parent
            total += _set_cost(rule, selection.selection_set, target, multiplier,
                               variable_first, depth + 1)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = rule.context.get_fragment(selection.name.value)
            if fragment is not None:
                target = rule.context.schema.get_type(fragment.type_condition.name.value)
                total += _set_cost(rule, fragment.selection_set, target, multiplier,
                                   variable_first, depth + 1)
    return total
