"""The structure drawn from the imports: no cycle between modules, none between the core's parts.

import-linter (run by .ci/run) checks that the layers point inward; this checks what it does not: that
nothing imports itself back through others, lazy imports included (grimp reads every import statement).
"""
import grimp

PACKAGES = ("connector", "workflows", "dispatch", "functions", "smsc", "emulators", "solution")


def _strongly_connected(graph) -> list[set[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:      # Tarjan; the graph has ~150 modules, recursion is fine
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in graph.modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back():
    assert _strongly_connected(grimp.build_graph(*PACKAGES)) == []


def test_the_parts_of_the_core_do_not_import_each_other_both_ways():
    graph = grimp.build_graph("connector")

    def part(module: str) -> str:       # connector.crm.batch -> connector.crm; connector.unit_sms stays
        return ".".join(module.split(".")[:2])

    edges = {(part(m), part(i)) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)
             if part(m) != part(i)}
    assert sorted((a, b) for a, b in edges if (b, a) in edges and a < b) == []
