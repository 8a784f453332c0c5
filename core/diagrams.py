"""A state machine as a picture: an SVG drawn from the django-fsm definition of any model.

Nothing here is drawn by hand: the states come from the FSM field's choices, the arrows from its
`@transition` declarations. The layout is a small layered ("Sugiyama") one: back edges (like
`reopen`) are found by a depth-first walk from the initial state and drawn as loops on the right;
the rest are ranked by longest path, long edges pass through invisible waypoints, and each rank is
ordered by the barycentre of its neighbours to keep crossings down. Top to bottom, rendered inline
(no JavaScript, no external tool). The current state is filled; the arrows the user may take now
are drawn in the accent colour.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from html import escape

from django.utils.translation import gettext as _
from django_fsm import FSMFieldMixin
from .transitions import targets

NODE_W, NODE_H, DUMMY_W = 104, 30, 14
RANK_GAP, NODE_GAP, PAD = 50, 16, 12


@dataclass
class Layout:
    states: list  # [(value, label)]
    edges: list  # [(source, target, transition name)]
    back: set  # {(source, target)}
    pos: dict  # node -> (x, y) centre; dummies are ("~", edge index, rank)
    routes: dict  # edge index -> [points]
    width: int
    height: int
    initial: str
    extra: dict = field(default_factory=dict)


def fsm_field(model):
    for f in model._meta.fields:
        if isinstance(f, FSMFieldMixin):
            return f
    raise ValueError(f"{model.__name__} has no FSM field")


def machine(model):
    """(states [(value, label)], edges [(source, target, name)], initial state) from the FSM field."""
    f = fsm_field(model)
    states = [(str(v), str(label)) for v, label in f.flatchoices]
    values = [v for v, _label in states]
    edges = []
    for t in f.get_all_transitions(model):
        sources = values if t.source in ("*", "+") else [str(t.source)]
        for source in sources:
            if t.target is None:
                continue
            for target in targets(t):
                edge = (source, target, t.name)
                if edge not in edges and source in values:
                    edges.append(edge)
    return states, edges, str(f.default)


@lru_cache(maxsize=32)
def layout(model) -> Layout:
    states, edges, initial = machine(model)
    values = [v for v, _label in states]
    succ = {v: [] for v in values}
    for s, t, _n in edges:
        if t not in succ[s]:
            succ[s].append(t)

    # 1. back edges: those closing a cycle in a depth-first walk from the initial state
    back, seen, on_stack, order = set(), set(), set(), []

    def dfs(v):
        seen.add(v)
        on_stack.add(v)
        order.append(v)
        for w in succ[v]:
            if w in on_stack or w == v:
                back.add((v, w))
            elif w not in seen:
                dfs(w)
        on_stack.discard(v)

    dfs(initial)
    for v in values:
        if v not in seen:
            dfs(v)

    # 2. ranks: longest path over the forward edges
    forward = [(s, t) for s, t, _n in edges if (s, t) not in back and s != t]
    rank = {v: 0 for v in values}
    for _round in range(len(values)):
        changed = False
        for s, t in forward:
            if rank[t] < rank[s] + 1:
                rank[t] = rank[s] + 1
                changed = True
        if not changed:
            break

    # 3. waypoints for edges spanning several ranks
    ranks = {}
    for v in order:
        ranks.setdefault(rank[v], []).append(v)
    chains = {}
    for i, (s, t, _n) in enumerate(edges):
        if (s, t) in back or s == t:
            continue
        chain = [s]
        for r in range(rank[s] + 1, rank[t]):
            dummy = ("~", i, r)
            ranks.setdefault(r, []).append(dummy)
            chain.append(dummy)
        chain.append(t)
        chains[i] = chain
    links = [(a, b) for chain in chains.values() for a, b in zip(chain, chain[1:])]

    # 4. order within ranks: barycentre sweeps, down then up
    depth = max(ranks) if ranks else 0
    for sweep in range(8):
        down = sweep % 2 == 0
        rng = range(1, depth + 1) if down else range(depth - 1, -1, -1)
        for r in rng:
            ref = ranks.get(r - 1 if down else r + 1, [])
            index = {n: i for i, n in enumerate(ref)}

            def bary(n, index=index, down=down):
                near = [index[a] for a, b in links if (b == n and a in index)] if down else \
                       [index[b] for a, b in links if (a == n and b in index)]
                return sum(near) / len(near) if near else ranks[r].index(n)

            ranks[r] = sorted(ranks[r], key=bary)

    # 5. coordinates
    def width_of(n):
        return DUMMY_W if isinstance(n, tuple) else NODE_W

    rank_widths = {r: sum(width_of(n) for n in ns) + NODE_GAP * (len(ns) - 1) for r, ns in ranks.items()}
    inner = max(rank_widths.values()) if rank_widths else NODE_W
    loops = sorted({s for s, t in back}, key=values.index)
    loop_room = 26 + 14 * len(loops) if back else 0
    pos = {}
    for r, ns in ranks.items():
        x = PAD + (inner - rank_widths[r]) / 2
        y = PAD + r * (NODE_H + RANK_GAP) + NODE_H / 2
        for n in ns:
            w = width_of(n)
            pos[n] = (x + w / 2, y)
            x += w + NODE_GAP
    routes = {i: [pos[n] for n in chain] for i, chain in chains.items()}
    width = int(PAD * 2 + inner + loop_room)
    height = int(PAD * 2 + (depth + 1) * NODE_H + depth * RANK_GAP)
    return Layout(states=states, edges=edges, back=back, pos=pos, routes=routes, width=width,
                  height=height, initial=initial, extra={"inner": inner, "loops": loops})


def _edge_path(points):
    (x0, y0), (x1, y1) = points[0], points[-1]
    pts = [(x0, y0 + NODE_H / 2), *points[1:-1], (x1, y1 - NODE_H / 2)]
    d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f}"
    for (ax, ay), (bx, by) in zip(pts, pts[1:]):
        my = (ay + by) / 2
        d += f" C{ax:.1f},{my:.1f} {bx:.1f},{my:.1f} {bx:.1f},{by:.1f}"
    return d


def state_machine_svg(model, *, current=None, allowed=(), highlight_transition=None, labels=None, title=None):
    """Inline SVG of `model`'s state machine. `allowed`: transition names the user may run now
    (their arrows out of `current` are highlighted); `labels`: {transition name: label}."""
    lay = layout(model)
    labels = labels or {}
    allowed = set(allowed or ())
    if highlight_transition:
        allowed.add(highlight_transition)
    current = str(current) if current is not None else None
    title = title or _("状态流转图")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wq-fsm" viewBox="0 0 {lay.width} {lay.height}" '
        f'width="{lay.width}" height="{lay.height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<defs><marker id="wq-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="wq-fsm-head"/></marker>'
        '<marker id="wq-arrow-hot" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="wq-fsm-head-hot"/></marker></defs>',
    ]
    # forward edges
    for i, (s, t, name) in enumerate(lay.edges):
        hot = s == current and name in allowed
        cls = "wq-fsm-edge hot" if hot else "wq-fsm-edge"
        marker = "wq-arrow-hot" if hot else "wq-arrow"
        tip = escape(f"{labels.get(name, name)}")
        if i in lay.routes:
            out.append(f'<path class="{cls}" data-transition="{name}" d="{_edge_path(lay.routes[i])}" '
                       f'marker-end="url(#{marker})"><title>{tip}</title></path>')
    # back edges: loops on the right, from the source's right side up to the target's right side
    right = PAD + lay.extra["inner"]
    for i, (s, t, name) in enumerate(lay.edges):
        if (s, t) not in lay.back:
            continue
        hot = s == current and name in allowed
        lane = right + 16 + 14 * lay.extra["loops"].index(s)
        (sx, sy), (tx, ty) = lay.pos[s], lay.pos[t]
        sx, tx = sx + NODE_W / 2, tx + NODE_W / 2
        d = f"M{sx:.1f},{sy:.1f} C{lane:.1f},{sy:.1f} {lane:.1f},{sy:.1f} {lane:.1f},{sy - 14:.1f} " \
            f"L{lane:.1f},{ty + 14:.1f} C{lane:.1f},{ty:.1f} {lane:.1f},{ty:.1f} {tx + 2:.1f},{ty:.1f}"
        out.append(f'<path class="wq-fsm-edge back{" hot" if hot else ""}" data-transition="{name}" d="{d}" '
                   f'marker-end="url(#{"wq-arrow-hot" if hot else "wq-arrow"})"><title>{escape(labels.get(name, name))}</title></path>')
    # states
    for value, label in lay.states:
        if value not in lay.pos:
            continue
        x, y = lay.pos[value]
        classes = ["wq-fsm-state"]
        if value == current:
            classes.append("current")
        if value == lay.initial:
            classes.append("initial")
        if not any(s == value for s, _t, _n in lay.edges):
            classes.append("final")
        out.append(
            f'<g class="{" ".join(classes)}" data-state="{value}">'
            f'<rect x="{x - NODE_W / 2:.1f}" y="{y - NODE_H / 2:.1f}" width="{NODE_W}" height="{NODE_H}" rx="15" ry="15"/>'
            f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">{escape(label)}</text>'
            f"<title>{escape(label)} ({value})</title></g>"
        )
    out.append("</svg>")
    return "".join(out)
