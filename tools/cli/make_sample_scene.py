#!/usr/bin/env python3
"""Draws the synthetic test scene of tools/cli/README.md as a binary PGM.

A sky gradient, a sun, a house with a pitched roof, a door and a checkered
window, on flat ground: straight, slanted and curved edges of several
contrasts, so that every edge kernel has something to show. Standard library
only; writes to the path given (or stdout). Regenerate the README's images:

  python3 tools/cli/make_sample_scene.py scene.pgm
  xcorr filter scene.pgm docs/images/scene.png --kernel box:1
  xcorr filter scene.pgm docs/images/scene_sobel_x.png --kernel sobel-x
  xcorr filter scene.pgm docs/images/scene_sobel_y.png --kernel sobel-y --map abs
"""
import sys

WIDTH, HEIGHT = 192, 128


def shade(x, y):
    """The gray level (0..255) of pixel (x, y)."""
    ground = 100
    if y >= ground:
        return 70
    # The sun: a disc in the upper right.
    if (x - 150) ** 2 + (y - 28) ** 2 <= 15 ** 2:
        return 250
    # The roof: a triangle on top of the walls.
    if 40 <= y < 62 and abs(x - 75) <= (y - 40) * 1.6:
        return 120
    if 62 <= y < ground and 40 <= x < 110:
        if 80 <= x < 94 and y >= 76:  # the door
            return 40
        if 50 <= x < 70 and 70 <= y < 86:  # a checkered window
            return 230 if ((x - 50) // 5 + (y - 70) // 4) % 2 == 0 else 160
        return 185
    # The sky darkens towards the top.
    return 140 + y


def main():
    pixels = bytes(shade(x, y) for y in range(HEIGHT) for x in range(WIDTH))
    data = b"P5\n%d %d\n255\n" % (WIDTH, HEIGHT) + pixels
    if len(sys.argv) > 1:
        with open(sys.argv[1], "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
