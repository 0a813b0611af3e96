"""The form's counter (webresources/js/encoding.js) is generated from the server's tables and counts
the same: the committed file is the generated one, and node runs it on tricky texts."""
import json
import shutil
import subprocess

import pytest

from connector.text.encoding import analyze
from solution import jsgen

TRICKY = [
    "", "Bonjour", "a" * 160, "a" * 161, "a" * 306, "a" * 307, "€" * 80, "€" * 81, "a" * 152 + "€",
    "a" * 159 + "€", "Prix: 10€ [promo] {code} ~ ^ | \\", "\f form feed", "café crème", "Ça coûte 5 €",
    "ÀÉÈ", "Grüße aus Köln ß", "naïve façade", "Ελλάδα ΔΦΓ", "Hello 😀", "😀" * 35, "😀" * 36,
    "x" * 66 + "😀", "x" * 69 + "é" + "ê", "ê" * 70, "ê" * 71, "ê" * 134, "ê" * 135, "line\nbreak\r\n",
    "tab\there", "emoji ZWJ 👨‍👩‍👧", "« guillemets »", "apostrophe ’ typographique", "—tiret—",
    "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà", "STOP au 30101",
]


def test_the_committed_encoding_js_is_the_generated_one():
    assert jsgen.ENCODING_JS.read_text(encoding="utf-8") == jsgen.encoding_js(), \
        "run `python -m solution.jsgen` and commit solution/webresources/js/encoding.js"
    assert jsgen.main(["--check"]) == 0


def test_the_generated_file_is_ascii_so_any_web_resource_encoding_reads_it():
    jsgen.encoding_js().encode("ascii")


def test_javascript_and_python_count_the_same():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed to run the generated JavaScript (Debian package nodejs)")
    script = ("globalThis.window = globalThis;\n" + jsgen.encoding_js() +
              "\nconst texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "process.stdout.write(JSON.stringify(texts.map(t => Smsc.Encoding.analyze(t))));\n")
    answer = subprocess.run([node, "-e", script], input=json.dumps(TRICKY), capture_output=True, text=True,
                            timeout=30, check=True)
    from_js = json.loads(answer.stdout)
    for text, js in zip(TRICKY, from_js):
        py = analyze(text)
        assert (js["encoding"], js["characters"], js["units"], js["segments"], js["perSegment"], js["remaining"],
                tuple(js["nonGsm"])) == (py.encoding, py.characters, py.units, py.segments, py.per_segment,
                                         py.remaining, py.non_gsm), text
