# Regenerates the Pillow BICUBIC goldens that test/engine/pil-bicubic.test.ts compares resizeRgbBicubic with.
# Needs Pillow (any 7.0+; these were written with Pillow 12.3.0): python3 make-golden.py
# The source image is a formula, written the same way in the test, so no input file is stored.
from PIL import Image

def source(width, height):
    data = bytearray(width * height * 3)
    state = 12345
    for i in range(width * height * 3):
        state = (state * 1103515245 + 12345) % 2**31
        x = (i // 3) % width
        y = (i // 3) // width
        # a gradient (tests the smooth part of the kernel) plus noise (tests the negative lobes and clipping)
        data[i] = ((x * 7 + y * 3 + (i % 3) * 50) + (state >> 24)) % 256
    return Image.frombytes("RGB", (width, height), bytes(data))

CASES = [
    ((97, 61), (112, 56)),   # enlarge both ways (up-scale path)
    ((97, 61), (56, 28)),    # shrink ~1.7x / 2.2x
    ((200, 150), (56, 28)),  # shrink 3.6x / 5.4x (wide support)
    ((97, 61), (97, 84)),    # vertical only
    ((97, 61), (140, 61)),   # horizontal only
]
for (sw, sh), (w, h) in CASES:
    out = source(sw, sh).resize((w, h))  # the reference's call: Pillow's default resample for RGB is BICUBIC
    with open(f"{sw}x{sh}-to-{w}x{h}.rgb", "wb") as f:
        f.write(out.tobytes())
    print(f"{sw}x{sh} -> {w}x{h}")
