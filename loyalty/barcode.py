"""Code 128 barcodes as inline SVG: the card number in set C (two digits a symbol), the rest in set B.
A pure function of the text, used by the printed cards (hq) and the card in the portal."""
import string

# Bar and space widths (in modules) of the symbols 0..105, from ISO/IEC 15417; each adds up to 11.
PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232",
)
STOP_PATTERN = "2331112"  # the stop symbol with its final bar
CODE_B, START_B, START_C = 100, 104, 105
QUIET_ZONE_MODULES = 10  # blank space a scanner needs on either side


def code128_values(text: str) -> list[int]:
    """The symbol values for `text`: start, data, check symbol (the stop pattern is fixed)."""
    if not text or any(char not in string.printable[:95] for char in text):
        raise ValueError("Code 128 here takes printable ASCII characters only.")
    leading_digits = len(text) - len(text.lstrip(string.digits))
    paired = leading_digits - leading_digits % 2
    # Set C halves the width of a digit run; for fewer than four digits it would not pay off.
    if paired >= 4 or (paired == 2 and len(text) == 2):
        values = [START_C] + [int(text[i:i + 2]) for i in range(0, paired, 2)]
        rest = text[paired:]
        if rest:
            values.append(CODE_B)
    else:
        values, rest = [START_B], text
    values += [ord(char) - 32 for char in rest]
    values.append((values[0] + sum(position * value for position, value in enumerate(values[1:], 1))) % 103)
    return values


def code128_widths(text: str) -> str:
    """Alternating bar and space widths in modules, starting with a bar, stop included."""
    return "".join(PATTERNS[value] for value in code128_values(text)) + STOP_PATTERN


def code128_svg(text: str, *, height: int = 40) -> str:
    """An SVG whose user units are modules; the page sizes it, so it scales to any width. All bars
    are one path: a PDF of thousands of cards draws much faster than with a rectangle each."""
    x, bars = QUIET_ZONE_MODULES, []
    for index, width in enumerate(int(char) for char in code128_widths(text)):
        if index % 2 == 0:
            bars.append(f"M{x} 0h{width}v{height}h-{width}z")
        x += width
    total = x + QUIET_ZONE_MODULES
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {height}" '
            f'preserveAspectRatio="none" shape-rendering="crispEdges" role="img" aria-label="{text}">'
            f'<path d="{"".join(bars)}"/></svg>')
