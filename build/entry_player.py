"""Entry point of the frozen GAN Studio Player (no torch in the bundle).

    ganstudio-player [MODEL.onnx]      open the Player, optionally on a model
    ganstudio-player --self-test       check the bundle and exit (0 = passed)
    ganstudio-player generate ...      the torch-free commands of the `ganstudio` CLI
"""

import sys

TORCH_FREE_COMMANDS = {"generate", "interpolate", "upscale", "explore"}


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--self-test"]:
        from ganstudio.selftest import run_self_test

        return run_self_test("player")
    if args[:1] and args[0] in TORCH_FREE_COMMANDS:
        from ganstudio.cli import main as cli_main

        return cli_main(args)
    from ganstudio.app.player_window import run_player

    return run_player(sys.argv[:1], model=args[0] if args and not args[0].startswith("-") else None)


if __name__ == "__main__":
    sys.exit(main())
