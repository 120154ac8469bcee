"""Directed graphs of dependencies: cycles, reachability and a layered layout."""

import heapq
from collections import defaultdict, deque
from collections.abc import Hashable, Iterable, Sequence

Node = Hashable
Edge = tuple[Node, Node]


def adjacency(edges: Iterable[Edge]) -> dict[Node, list[Node]]:
    out: dict[Node, list[Node]] = defaultdict(list)
    for a, b in edges:
        out[a].append(b)
    return out


def find_path(edges: Iterable[Edge], start: Node, goal: Node) -> list[Node] | None:
    """A shortest path start -> ... -> goal (breadth first), or None."""
    out = adjacency(edges)
    parent: dict[Node, Node | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while parent[path[-1]] is not None:
                path.append(parent[path[-1]])
            return path[::-1]
        for nxt in out.get(node, ()):
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return None


def cycle_if_added(edges: Iterable[Edge], new: Edge) -> list[Node] | None:
    """The cycle that adding edge ``a -> b`` would close, as ``[a, b, ..., a]``, or None."""
    a, b = new
    if a == b:
        return [a, a]
    path = find_path(edges, b, a)
    return None if path is None else [a, *path]


def find_cycle(nodes: Iterable[Node], edges: Iterable[Edge]) -> list[Node] | None:
    """Any cycle in the graph as ``[n0, n1, ..., n0]``, or None (iterative DFS)."""
    out = adjacency(edges)
    white, grey, black = 0, 1, 2
    colour: dict[Node, int] = defaultdict(int)
    for root in nodes:
        if colour[root] != white:
            continue
        stack: list[tuple[Node, Iterable]] = [(root, iter(out.get(root, ())))]
        path = [root]
        colour[root] = grey
        while stack:
            node, children = stack[-1]
            for child in children:
                if colour[child] == grey:
                    return [*path[path.index(child) :], child]
                if colour[child] == white:
                    colour[child] = grey
                    stack.append((child, iter(out.get(child, ()))))
                    path.append(child)
                    break
            else:
                colour[node] = black
                stack.pop()
                path.pop()
    return None


def reachable(edges: Iterable[Edge], start: Node) -> set[Node]:
    """Everything downstream of ``start`` (for upstream, reverse the edges)."""
    out = adjacency(edges)
    seen: set[Node] = set()
    queue = deque([start])
    while queue:
        for nxt in out.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    seen.discard(start)
    return seen


def layers(nodes: list[Node], edges: list[Edge]) -> dict[Node, int]:
    """Longest-path layering (Kahn): each node one layer after its latest predecessor."""
    out = adjacency(edges)
    indegree = {n: 0 for n in nodes}
    for _, b in edges:
        indegree[b] = indegree.get(b, 0) + 1
    layer = {n: 0 for n in indegree}
    queue = deque(n for n, d in indegree.items() if d == 0)
    while queue:
        node = queue.popleft()
        for nxt in out.get(node, ()):
            layer[nxt] = max(layer[nxt], layer[node] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                queue.append(nxt)
    return layer


def topological_order(successors: Sequence[Sequence[int]]) -> list[int]:
    """Nodes ``0..n-1`` in dependency order, smallest index first among the ready ones.

    Nodes on (or behind) a cycle are left out: a result shorter than ``n`` means a cycle
    (:func:`find_cycle` names it).
    """
    indegree = [0] * len(successors)
    for targets in successors:
        for j in targets:
            indegree[j] += 1
    ready = [i for i, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                heapq.heappush(ready, j)
    return order
