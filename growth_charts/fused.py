"""The batch engine's fused kernels (numba): one pass per stage over a block of rows.

``anthro.compute`` runs these on batches of ``FUSED_MIN_ROWS`` rows or more; smaller calls (one
child in the web service) stay on the numpy path of ``anthro._compute_block``. Both give the same
bits: every addition, product and quotient is the one numpy does, in the same order, and the
transcendental functions (``log``, ``exp``, WHO's tail powers, the extended-precision rounding
of a z-score lying on a half) are still numpy's own, called between the stages on whole
contiguous rows of the block, so that each element gets the value numpy gives it.

Stages for a block of rows (the numbers are rows of the scratch arrays):

1. ``_prepare``: ages in days and months, the position rules, ``clenhei``, ``cbmi``, the age row
   of each child, the z-scores that need no power (length, head), the interpolated L, M and S of
   weight-for-length/height, and each measurement that needs a logarithm;
2. numpy ``log`` of those rows; ``_powers``: L·(log y − log M); numpy ``exp`` of them;
3. ``_finish``: z from the powers, WHO's restricted tails of the keyed tables (SD2/SD3 per table
   row), NaN after day 1856 for weight-for-length/height, and the rows beyond ±3 of
   weight-for-length/height listed; their tails need the power of an interpolated L:
   ``_tail_bases``, numpy ``power``, ``_tail_z``;
4. ``_emit``: z to 2 decimals with ``rint`` and the implausible flags; z lying within
   1e-5 of a half are listed for ``rounding.round_z`` (extended precision).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numba import njit
from numpy.typing import NDArray

from growth_charts.age import DAYS_PER_MONTH, LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.kernels import AGE_DAYS, Prepared, prepared

Array = NDArray[np.float64]

# keyed WHO 2006 age tables, in the order of the scratch rows, and their z column in _Z_ORDER
KEYED = ("lhfa", "wfa", "bmi", "hcfa", "acfa", "tsfa", "ssfa")
KEYED_Z = np.array([0, 1, 3, 4, 5, 6, 7], dtype=np.int64)
WFL_Z = 2
WFL_ROW = 7  # scratch row of weight-for-length/height (its interpolated M, then its power)
WEIGHT_ROW = 1  # scratch row of weight (weight-for-age), whose log weight-for-length shares
L_IS_ONE = (True, False, False, True, False, False, False)  # of KEYED
RESTRICTED = (False, True, True, False, True, True, True)
PARAMS = ("l", "m", "s", "log_m", "inv_ls", "sd3_pos", "sd23_pos", "sd3_neg", "sd23_neg")
POSITION_CORRECTION_CM = 0.7
UNKNOWN_POSITION_SWITCH_CM = 87.0
WHO2006_LAST_DAY = 1856.0
MONTHS_2007_FIRST, MONTHS_2007_LAST = 61.0, 228.0
NEAR_HALF = 0.49999  # as rounding.round_z
EMIT_CHUNK = 512  # rows _emit rounds before it looks back for z on a half


@dataclass(frozen=True)
class Tables:
    """The prepared tables as the kernels read them (one stacked array per kind)."""

    keyed: Array  # (7, 9, 2·1857 + 1): PARAMS of each KEYED table
    l_is_one: NDArray[np.bool_]  # (7,)
    restricted: NDArray[np.bool_]  # (7,)
    # L, M, S of weight-for-length (flat, its sentinel last) followed by those of
    # weight-for-height in one array, which the kernels read with one index for both
    wfl: Array  # (3, size of wfl + size of wfh)
    wfh: Array  # (3, size of wfh): weight-for-height alone (a view of the end of ``wfl``)
    wfl_geometry: Array  # first key, width, x_min, x_max, offset in ``wfl``, sentinel of wfl
    wfh_geometry: Array  # … of wfh (its offset: the size of wfl)


def _geometry(table: Prepared, offset: int) -> Array:
    spec = table.spec
    sentinel = offset + table.sentinel
    return np.array([table.first_key, table.width, spec.x_min, spec.x_max, offset, sentinel], float)


@cache
def tables() -> Tables:
    """The kernels' view of the WHO tables (built once per process)."""
    keyed = [prepared(code) for code in KEYED]
    if any(t.first_key != 0 or t.width != AGE_DAYS for t in keyed):
        raise AssertionError("WHO 2006 age tables must share days 0…1856")
    if [t.l_is_one for t in keyed] != list(L_IS_ONE) or [t.spec.restricted for t in keyed] != list(
        RESTRICTED
    ):
        raise AssertionError("the kernels expect L = 1 for length and head only, unrestricted")
    stacked = np.stack([np.stack([getattr(t, p) for p in PARAMS]) for t in keyed])
    wfl, wfh = prepared("wfl"), prepared("wfh")
    if not (wfl.spec.restricted and wfh.spec.restricted):
        raise AssertionError("weight-for-length/height is restricted")
    both = np.stack([np.concatenate([wfl.l, wfh.l]), np.concatenate([wfl.m, wfh.m]),
                     np.concatenate([wfl.s, wfh.s])])  # fmt: skip
    return Tables(
        keyed=np.ascontiguousarray(stacked),
        l_is_one=np.array([t.l_is_one for t in keyed]),
        restricted=np.array([t.spec.restricted for t in keyed]),
        wfl=both,
        wfh=both[:, wfl.l.size :],
        wfl_geometry=_geometry(wfl, 0),
        wfh_geometry=_geometry(wfh, wfl.l.size),
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _any_finite(values: Array) -> bool:
    for value in values:  # noqa: SIM110 (a compiled loop that stops at the first)
        if np.isfinite(value):
            return True
    return False


def any_finite(values: Array) -> bool:
    """Whether any value is finite (stops at the first one; a measurement absent from a batch
    is skipped)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.strides[0] == 0:  # a broadcast scalar
        return bool(np.isfinite(values.reshape(-1)[:1]).any())
    return bool(_any_finite(values))


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _interpolate(n, sex, x, lms, length_geometry, height_geometry, ls, m_out, g) -> None:
    """L and S of weight-for-length/height into ls[0], ls[1] and M into ``m_out`` at each
    child's (corrected) length or height ``x``, as ``kernels.interpolated_lms``; ``ls[1]``
    holds 1.0 on entry for rows of weight-for-length. Both tables lie in the one array
    ``lms`` and each row picks its table's geometry without a branch. The rows and fractions
    go through ``g`` (rows 0–2), so that the loop finding them has no gather and vectorises."""
    first_l, width_l, low_l, high_l, offset_l, sentinel_l = length_geometry[:6]
    first_h, width_h, low_h, high_h, offset_h, sentinel_h = height_geometry[:6]
    l_values, s_values = ls[0], ls[1]
    table_l, table_m, table_s = lms[0], lms[1], lms[2]
    lows, highs, fracs = g[0].view(np.int64), g[1].view(np.int64), g[2]
    for i in range(n):
        length = s_values[i] == 1.0
        first = first_l if length else first_h
        width = width_l if length else width_h
        x_min = low_l if length else low_h
        x_max = high_l if length else high_h
        sentinel = int(sentinel_l if length else sentinel_h)
        start = int(offset_l if length else offset_h) - int(first)
        s = sex[i]
        v = x[i]
        valid = s >= 0 and v >= x_min and v <= x_max
        scaled = v * 10.0
        key = np.trunc(scaled)
        upper_key = np.trunc(scaled + 1.0)
        frac = (v - key / 10.0) / (1.0 / 10.0)
        start += s * int(width)
        low = start + int(key) if valid else sentinel
        high = low
        if valid and frac > 0:
            high = start + int(upper_key) if upper_key - first < width else sentinel
        lows[i] = low
        highs[i] = high
        fracs[i] = frac
    for i in range(n):
        low, high, frac = lows[i], highs[i], fracs[i]
        a = table_l[low]
        l_values[i] = a + frac * (table_l[high] - a)
        a = table_s[low]
        s_values[i] = a + frac * (table_s[high] - a)
        a = table_m[low]
        m_out[i] = a + frac * (table_m[high] - a)


@njit(cache=True, nogil=True, error_model="numpy")
def _prepare(
    n, sex, age, measure, oedema, weight, lenhei, headc, armc, triskin, subskin, anthro: bool,
    keyed, wfl, wfh, wfl_geometry, wfh_geometry, want_wfl: bool, c_out, z, rows, y, lsm, day_out, g,
) -> int:  # fmt: skip
    """Stage 1 (see the module docstring); returns how many rows of the block have an age in
    the WHO 2007 range (61–228 months), whose z rows (8–10) it leaves unwritten. ``c_out``:
    clenhei, cbmi and c9mo_flag (rows of the output, or of a scratch); ``g``: a (4, n) scratch
    for gathered table values. Simple loops over row views (indices from 0), one concern each,
    gathers apart, so that the compiler can vectorise them."""
    clenhei, cbmi, c9mo, use_length = c_out[0], c_out[1], c_out[2], lsm[1]
    in_2007 = 0
    for i in range(n):
        a = age[i]
        floor = np.floor(a)
        day = floor + (1.0 if a - floor >= 0.5 else 0.0)
        months = a / DAYS_PER_MONTH
        in_2007 += 1 if (months >= MONTHS_2007_FIRST and months <= MONTHS_2007_LAST) else 0
        m = measure[i]
        standing_infant = anthro and m == 1 and months < 9.0  # position unknown under 9 months
        m = -1 if standing_infant else m
        c = lenhei[i]
        add = day < LENGTH_HEIGHT_SWITCH_DAY and m == 1
        subtract = day >= LENGTH_HEIGHT_SWITCH_DAY and m == 0
        c = c + POSITION_CORRECTION_CM if add else c
        c = c - POSITION_CORRECTION_CM if subtract else c
        q = c / 100.0
        clenhei[i] = c
        cbmi[i] = weight[i] / (q * q)
        c9mo[i] = 1.0 if standing_infant else 0.0
        day_out[i] = day
        # weight-for-length before day 731, weight-for-height from it (no age: the position,
        # then < 87 cm); kept in lsm[1] as 1.0/0.0 until stage 1 interpolates
        no_age = m == 0 if m >= 0 else c < UNKNOWN_POSITION_SWITCH_CM
        length = no_age if np.isnan(day) else day < LENGTH_HEIGHT_SWITCH_DAY
        use_length[i] = 1.0 if length else 0.0
    # length and head: L = 1, no power, no tails; the others wait for their logarithm
    m_length, s_length, m_head, s_head = keyed[0, 1], keyed[0, 2], keyed[3, 1], keyed[3, 2]
    z_length, z_head = z[0], z[4]
    for i in range(n):
        day = day_out[i]
        s = sex[i]
        valid = s >= 0 and day >= 0 and day < AGE_DAYS
        rows[i] = np.uintp(s * AGE_DAYS + int(day) if valid else 2 * AGE_DAYS)
    m_lengths, s_lengths, m_heads, s_heads = g[0], g[1], g[2], g[3]
    for i in range(n):
        r = rows[i]
        m_lengths[i] = m_length[r]
        s_lengths[i] = s_length[r]
        m_heads[i] = m_head[r]
        s_heads[i] = s_head[r]
    for i in range(n):
        c = clenhei[i]
        z_length[i] = ((c if c > 0.0 else np.nan) / m_lengths[i] - 1.0) / s_lengths[i]
        h = headc[i]
        z_head[i] = ((h if h > 0.0 else np.nan) / m_heads[i] - 1.0) / s_heads[i]
    y_weight, y_bmi, y_arm, y_triceps, y_subscapular = y[1], y[2], y[4], y[5], y[6]
    for i in range(n):
        w = weight[i]
        b = cbmi[i]
        y_weight[i] = w if (w > 0.0 and not oedema[i]) else np.nan
        y_bmi[i] = b if (b > 0.0 and not oedema[i]) else np.nan
        v = armc[i]
        y_arm[i] = v if v > 0.0 else np.nan
        v = triskin[i]
        y_triceps[i] = v if v > 0.0 else np.nan
        v = subskin[i]
        y_subscapular[i] = v if v > 0.0 else np.nan
    if want_wfl:
        _interpolate(n, sex, clenhei, wfl, wfl_geometry, wfh_geometry, lsm, y[WFL_ROW], g)
    return in_2007


@njit(cache=True, nogil=True, error_model="numpy")
def _powers(n, rows, logs, keyed, lsm, logged) -> None:
    """Stage 2 in place: ``logs`` rows become L·(log y − log M) (``logged``: rows in use).

    Loops run over row views of the scratch and tables (indices from 0), which the compiler
    vectorises."""
    if logged[WFL_ROW]:  # first: it reads the log of weight, which the loop below replaces
        power, log_weight, l_values = logs[WFL_ROW], logs[WEIGHT_ROW], lsm[0]
        for i in range(n):
            power[i] = l_values[i] * (log_weight[i] - power[i])
    for j in (1, 2, 4, 5, 6):
        if logged[j]:
            power, log_m, l_values = logs[j], keyed[j, 3], keyed[j, 0]
            for i in range(n):
                r = rows[i]
                power[i] = (power[i] - log_m[r]) * l_values[r]


@njit(cache=True, nogil=True, error_model="numpy")
def _finish(n, rows, powers, y, keyed, lsm, day, z, logged, tails) -> int:
    """Stage 3: z from exp(power), keyed tails included; returns how many rows of
    weight-for-length/height lie beyond ±3 (their positions in ``tails``)."""
    for j in (1, 2, 4, 5, 6):
        if logged[j]:
            zs, power, measured, table = z[KEYED_Z[j]], powers[j], y[j], keyed[j]
            inv_ls = table[4]
            sd3_pos, sd23_pos, sd3_neg, sd23_neg = table[5], table[6], table[7], table[8]
            for i in range(n):
                r = rows[i]
                zi = (power[i] - 1.0) * inv_ls[r]
                if zi > 3.0:
                    zi = 3.0 + (measured[i] - sd3_pos[r]) / sd23_pos[r]
                elif zi < -3.0:
                    zi = -3.0 + (measured[i] - sd3_neg[r]) / sd23_neg[r]
                zs[i] = zi
    count = 0
    if logged[WFL_ROW]:
        zs, power, l_values, s_values = z[WFL_Z], powers[WFL_ROW], lsm[0], lsm[1]
        for i in range(n):
            zi = (power[i] - 1.0) / (l_values[i] * s_values[i])
            zs[i] = np.nan if day[i] > WHO2006_LAST_DAY else zi
        for i in range(n):  # branch-free: every row is written, only tails advance
            zi = zs[i]
            tails[count] = i
            count += 1 if (zi > 3.0 or zi < -3.0) else 0
    return count


@njit(cache=True, nogil=True, error_model="numpy")
def _tail_bases(count, tails, lsm, z, bases, exponents) -> None:
    """For the ``count`` rows ``tails`` of weight-for-length/height beyond ±3 (side k = ±1):
    1 + L·S·3k and 1 + L·S·2k into ``bases`` rows 0 and 1, and 1/L into ``exponents``, as
    ``lms.value_at`` forms them before its power."""
    l_values, s_values, base3, base2 = lsm[0], lsm[1], bases[0], bases[1]
    for t in range(count):
        i = tails[t]
        k = 1.0 if z[i] > 3.0 else -1.0
        l = l_values[i]
        ls = l * s_values[i]
        base3[t] = 1.0 + ls * (3.0 * k)
        base2[t] = 1.0 + ls * (2.0 * k)
        exponents[t] = 1.0 / l


@njit(cache=True, nogil=True, error_model="numpy")
def _tail_z(count, tails, powered, m_values, weight, z) -> None:
    """WHO's restricted tail of those rows in place in ``z``: SD3k = M·``powered[0]``,
    SD2k = M·``powered[1]``, z = 3k + (y − SD3k)/(k·(SD3k − SD2k)), as ``kernels.lms_z``."""
    power3, power2 = powered[0], powered[1]
    for t in range(count):
        i = tails[t]
        k = 1.0 if z[i] > 3.0 else -1.0
        m = m_values[i]
        sd3 = m * power3[t]
        step = k * (sd3 - m * power2[t])
        z[i] = 3.0 * k + (weight[i] - sd3) / step


@njit(cache=True, nogil=True, error_model="numpy")
def _emit(n, c_in, z, out, start, c_rows, z_rows, flag_rows, modes, low, high, halves, counts):
    """Stage 4: the block's columns into ``out`` at ``start``, each element written once
    (``c_in`` into rows ``c_rows``, those ≥ 0).

    ``modes`` per z column: 0 NaN (not computed), 1 as computed, 2 rounded with its flag (row
    ``flag_rows``; a flag row of a mode 0 or 1 column gets NaN when it is ≥ 0). A z within 1e-5
    of a half is written unrounded and listed in ``halves`` (``counts`` per column), for
    ``rounding.round_z``. Rounding counts such z per chunk of ``EMIT_CHUNK`` rows as it goes;
    only a chunk that has one is read again to list them. Returns how many it listed in all.
    """
    stop = start + n
    total = 0
    for k in range(3):
        if c_rows[k] < 0:  # already in place
            continue
        dst = out[c_rows[k], start:stop]  # row views: contiguous, non-negative indices
        for i in range(n):
            dst[i] = c_in[k, i]
    for c in range(z_rows.size):
        mode = modes[c]
        dst = out[z_rows[c], start:stop]
        src = z[c]
        count = 0
        if mode == 0:
            for i in range(n):
                dst[i] = np.nan
        elif mode == 1:
            for i in range(n):
                dst[i] = src[i]
        else:
            lo, hi = low[c], high[c]
            flags = out[flag_rows[c], start:stop]
            for first in range(0, n, EMIT_CHUNK):
                last = min(first + EMIT_CHUNK, n)
                # chunk views, indexed from 0: the loop below stays vectorised
                part, rounded_part, flag_part = src[first:last], dst[first:last], flags[first:last]
                near = 0
                for i in range(last - first):
                    scaled = part[i] * 100.0
                    nearest = np.rint(scaled)
                    rounded = nearest / 100.0 + 0.0
                    rounded_part[i] = rounded
                    flag = 1.0 if (rounded < lo or rounded > hi) else 0.0
                    flag_part[i] = np.nan if np.isnan(rounded) else flag
                    near += 1 if np.abs(scaled - nearest) > NEAR_HALF else 0
                if near:  # the rare z on a half: left for round_z
                    for i in range(last - first):
                        scaled = part[i] * 100.0
                        if np.abs(scaled - np.rint(scaled)) > NEAR_HALF:
                            halves[c, count] = start + first + i
                            count += 1
                            rounded_part[i] = part[i]
        if mode != 2 and flag_rows[c] >= 0:
            flags = out[flag_rows[c], start:stop]
            for i in range(n):
                flags[i] = np.nan
        counts[c] = count
        total += count
    return total


# CSV lines -----------------------------------------------------------------------------------

TEXT_LIMIT = 1e9  # from here pyarrow's writer switches to exponents: such blocks are not ours


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _put_decimal(out, at: int, value: float, scale: float, whole_scale: int, decimals: int) -> int:
    """``value`` rounded to ``decimals`` (``scale`` = ``whole_scale`` = 10^decimals, constants
    at each call) as the shortest text (``87.7``, ``-0.05``, ``3``, ``-0``), as pyarrow writes
    the rounded double; returns the new end, or −1 if out of range."""
    scaled = np.rint(value * scale)
    if not np.abs(scaled) < TEXT_LIMIT * scale:
        return -1
    k = int(scaled)
    if k < 0 or (k == 0 and np.signbit(scaled)):
        out[at] = 45  # '-'
        at += 1
        k = -k
    whole, frac = k // whole_scale, k % whole_scale
    width = 1
    bound = 10
    while whole >= bound:
        width += 1
        bound *= 10
    for p in range(width - 1, -1, -1):
        out[at + p] = 48 + whole % 10
        whole //= 10
    at += width
    if frac:
        out[at] = 46  # '.'
        at += 1
        digits = decimals
        while frac % 10 == 0:
            frac //= 10
            digits -= 1
        for p in range(digits - 1, -1, -1):
            out[at + p] = 48 + frac % 10
            frac //= 10
        at += digits
    return at


Z_TABLE_LIMIT = 1000  # z in [−10, 10]: texts looked up (hundredths), as batch._z_texts


@cache
def z_texts() -> NDArray[np.uint8]:
    """The text of every 2-decimal z in [−10, 10] (row k + 1000: length, then the bytes)."""
    table = np.zeros((2 * Z_TABLE_LIMIT + 1, 8), np.uint8)
    for k in range(-Z_TABLE_LIMIT, Z_TABLE_LIMIT + 1):
        text = f"{k / 100:g}".encode()
        table[k + Z_TABLE_LIMIT, 0] = len(text)
        table[k + Z_TABLE_LIMIT, 1 : 1 + len(text)] = np.frombuffer(text, np.uint8)
    return table


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _put_flag(out, at: int, v: float) -> int:
    if np.isnan(v):
        return at
    out[at] = 49 if v == 1.0 else 48  # '1' or '0'
    return at + 1


@njit(cache=True, nogil=True, error_model="numpy")
def write_lines(text, rows: int, values, z_table, out) -> int:
    """Each of the ``rows`` LF-ended lines of ``text`` followed by ``,v`` for every row of
    ``values`` (``anthro.OUTPUT_ORDER``: clenhei and cbmi to 4 decimals, c9mo_flag, then each
    z to 2 decimals and its 0/1 flag; NaN as nothing); returns the bytes written to ``out``, or
    −1 if a value is beyond what this writer spells as pyarrow does."""
    at = 0
    pos = 0
    columns = values.shape[0]
    for i in range(rows):
        end = pos
        while text[end] != 10:
            end += 1
        size = end - pos
        line, copy = text[pos:end], out[at : at + size]  # views indexed from 0: one block copy
        for p in range(size):
            copy[p] = line[p]
        at += size
        pos = end + 1
        for c in range(2):
            out[at] = 44  # ','
            at += 1
            v = values[c, i]
            if not np.isnan(v):
                at = _put_decimal(out, at, v, 10000.0, 10000, 4)
                if at < 0:
                    return -1
        out[at] = 44
        at = _put_flag(out, at + 1, values[2, i])
        for c in range(3, columns, 2):
            out[at] = 44
            at += 1
            v = values[c, i]
            if not np.isnan(v):
                k = np.rint(v * 100.0)
                if np.abs(k) <= Z_TABLE_LIMIT:
                    # all 7 bytes of the text's row, then advance by its length (the buffer
                    # holds MAX_TEXT_BYTES per value): one fixed-size copy, no loop
                    cell, copy = z_table[int(k) + Z_TABLE_LIMIT], out[at : at + 7]
                    for p in range(7):
                        copy[p] = cell[1 + p]
                    at += cell[0]
                else:
                    at = _put_decimal(out, at, v, 100.0, 100, 2)
                    if at < 0:
                        return -1
            out[at] = 44
            at = _put_flag(out, at + 1, values[c + 1, i])
        out[at] = 10
        at += 1
    return at
