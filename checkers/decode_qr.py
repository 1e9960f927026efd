#!/usr/bin/env python3
"""Reads the QR codes in images, to check what a badge or ticket really encodes.

    python3 checkers/decode_qr.py IMAGE [IMAGE ...] [--expect PAYLOAD]

For every QR code found it prints one line, "<file>\\t<payload>", the payload exactly as decoded
(no trimming). The decoding is zxing-cpp's (pip install zxing-cpp pillow), which shares nothing
with the application's own QR writer or with the scanner it runs in the browser.

PNG, JPEG and the other formats Pillow opens are read directly; transparent pixels are laid on
white first, as a printed badge would show them. SVG is rendered to PNG with the cairosvg
package when it is installed, else with rsvg-convert (Debian's librsvg2-bin). When nothing is
found at the image's own size, the image is tried again with a wider white margin and enlarged,
which rescues codes drawn without a quiet zone or with one pixel per module.

--expect PAYLOAD: every image must hold a QR code whose payload is exactly PAYLOAD.

Exit status: 0 every image held at least one QR code (and the expected payload, if given);
1 an image held none, could not be read, or lacked the expected payload; 2 usage error, or a
needed package (zxing-cpp, Pillow, an SVG renderer) missing.
"""
import io
import os
import shutil
import subprocess
import sys

USAGE = "usage: decode_qr.py IMAGE [IMAGE ...] [--expect PAYLOAD]"


class MissingTool(Exception):
    """A package or program this run needs is not installed (exit 2)."""


def svg_to_png(path):
    try:
        import cairosvg
    except ImportError:
        cairosvg = None
    if cairosvg is not None:
        return cairosvg.svg2png(url=path, scale=4, background_color="white")
    if shutil.which("rsvg-convert"):
        done = subprocess.run(["rsvg-convert", "--zoom", "4", "--background-color", "white", path],
                              capture_output=True)
        if done.returncode != 0:
            raise ValueError(f"rsvg-convert failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout
    raise MissingTool("reading SVG needs cairosvg (python3 -m pip install cairosvg) or rsvg-convert (librsvg2-bin)")


def load_grey(path):
    """The image as 8-bit greyscale on a white background."""
    from PIL import Image

    if path.lower().endswith(".svg"):
        image = Image.open(io.BytesIO(svg_to_png(path)))
    else:
        image = Image.open(path)
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, image)
    return image.convert("L")


def attempts(image):
    """The image as it is, then with a white margin, then enlarged (nearest neighbour)."""
    from PIL import Image, ImageOps

    yield image
    margin = max(8, min(image.size) // 8)
    bordered = ImageOps.expand(image, border=margin, fill=255)
    yield bordered
    if max(bordered.size) < 1200:
        factor = max(2, 600 // max(1, min(bordered.size)))
        yield bordered.resize((bordered.width * factor, bordered.height * factor), Image.NEAREST)


def is_qr(barcode):
    # QRCode, MicroQRCode, RMQRCode (and QRCodeModel1/2 in zxing-cpp 3).
    return "QR" in str(barcode.format).upper()


def decode(path):
    import zxingcpp

    options = {}
    if hasattr(zxingcpp, "TextMode"):
        options["text_mode"] = zxingcpp.TextMode.Plain
    image = load_grey(path)
    for candidate in attempts(image):
        found = [b for b in zxingcpp.read_barcodes(candidate, **options) if is_qr(b)]
        if found:
            seen = []
            for barcode in found:
                if barcode.text not in seen:
                    seen.append(barcode.text)
            return seen
    return []


def parse_args(argv):
    images, expect = [], None
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help"):
            print(__doc__.strip())
            sys.exit(0)
        elif arg == "--expect":
            expect = next(args, None)
            if expect is None:
                raise ValueError("--expect needs a PAYLOAD")
        elif arg.startswith("--expect="):
            expect = arg.split("=", 1)[1]
        elif arg.startswith("-") and arg != "-":
            raise ValueError(f"unknown option {arg}")
        else:
            images.append(arg)
    if not images:
        raise ValueError("no IMAGE given")
    return images, expect


def main(argv):
    try:
        images, expect = parse_args(argv)
    except ValueError as err:
        print(f"decode_qr.py: {err}\n{USAGE}", file=sys.stderr)
        return 2
    try:
        import zxingcpp  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as err:
        print(f"decode_qr.py needs zxing-cpp and Pillow (python3 -m pip install zxing-cpp pillow): {err}",
              file=sys.stderr)
        return 2
    failed = False
    for path in images:
        if not os.path.isfile(path):
            print(f"decode_qr.py: no such file: {path}", file=sys.stderr)
            failed = True
            continue
        try:
            payloads = decode(path)
        except MissingTool as err:
            print(f"decode_qr.py: {path}: {err}", file=sys.stderr)
            return 2
        except Exception as err:  # Pillow raises several kinds for unreadable images
            print(f"decode_qr.py: {path}: cannot read the image: {err}", file=sys.stderr)
            failed = True
            continue
        for payload in payloads:
            print(f"{path}\t{payload}")
        if not payloads:
            print(f"decode_qr.py: {path}: no QR code found", file=sys.stderr)
            failed = True
        elif expect is not None and expect not in payloads:
            shown = ", ".join(repr(p) for p in payloads)
            print(f"decode_qr.py: {path}: expected {expect!r} but decoded {shown}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
