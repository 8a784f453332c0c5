"""Money as documents state it: in figures (¥660,000.00) and in Chinese capitals (人民币陆拾陆万元整).

The capitals follow the People's Bank of China rules for writing amounts (《支付结算办法》附件
《正确填写票据和结算凭证的基本规定》): 零壹贰叁肆伍陆柒捌玖, 拾佰仟万亿; "整" after 元 when there are
no 角/分 (optional after 角, left out as in the PBOC example 壹仟肆佰零玖元伍角, never after 分);
a run of zeros inside the number is one 零; an empty 角 before 分 is written 零 (壹仟元零伍分).

PyPI's cn2an (0.5.24) was checked for this and is not used: it drops the 零 across an empty 万
group (100001000 gives 壹亿壹仟元整; correct is 壹亿零壹仟元整) and truncates instead of rounding.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
GROUP_UNITS = ("", "万", "亿", "万亿")  # per group of four digits, from the right
CENT = Decimal("0.01")
MAX = Decimal("9999999999999999.99")


def _to_cents(amount) -> int:
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    if value < 0:
        raise ValueError("amounts in capitals must not be negative")
    if value > MAX:
        raise ValueError("amount too large to write in capitals")
    return int(value * 100)


def _group(n: int) -> str:
    """0 < n < 10000 -> capitals with 拾佰仟, inner zeros collapsed to one 零, no trailing zeros."""
    out = []
    zero_pending = False
    for pos in range(3, -1, -1):
        d = (n // 10**pos) % 10
        if d == 0:
            if out:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[d] + SMALL_UNITS[pos])
    return "".join(out)


def _yuan(n: int) -> str:
    """Whole yuan in capitals (without 元); n > 0."""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = []
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        g = groups[index]
        if g == 0:
            zero_pending = bool(out)
            continue
        # A zero is read between groups when this group has fewer than four digits (a leading
        # zero) after a higher group, or a whole group was empty: 壹亿零壹仟, 壹万零伍佰.
        if out and (zero_pending or g < 1000):
            out.append("零")
        out.append(_group(g) + GROUP_UNITS[index])
        zero_pending = False
    return "".join(out)


def capitals(amount, *, prefix: str = "人民币") -> str:
    """660000 -> 人民币陆拾陆万元整; 1234.56 -> 人民币壹仟贰佰叁拾肆元伍角陆分; 0 -> 人民币零元整.

    Rounds half up to the fen. `prefix=""` leaves out 人民币.
    """
    cents = _to_cents(amount)
    yuan, jiao, fen = cents // 100, (cents // 10) % 10, cents % 10
    if cents == 0:
        return f"{prefix}零元整"
    out = []
    if yuan:
        out.append(_yuan(yuan) + "元")
    if jiao == 0 and fen == 0:
        out.append("整")
    else:
        if jiao:
            out.append(DIGITS[jiao] + "角")
        elif yuan:  # 壹仟元零伍分: the empty 角 is read when yuan precede it
            out.append("零")
        if fen:
            out.append(DIGITS[fen] + "分")
        # After 角 "整" is optional; the PBOC's own example (壹仟肆佰零玖元伍角) leaves it out.
    return prefix + "".join(out)


def figures(amount, *, symbol: str = "¥") -> str:
    """660000 -> ¥660,000.00 (two decimals, thousands separated)."""
    cents = _to_cents(amount)
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


def both(amount) -> str:
    """'¥660,000.00（人民币陆拾陆万元整）': the form a document uses where it states a sum."""
    return f"{figures(amount)}（{capitals(amount)}）"
