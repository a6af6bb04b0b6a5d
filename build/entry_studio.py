"""Entry point of the frozen GAN Studio (the whole app, training included).

    ganstudio-studio                   open the app
    ganstudio-studio --self-test       check the bundle and exit (0 = passed)
    ganstudio-studio COMMAND ...       the `ganstudio` CLI (train, export, generate...): the app
                                       starts itself this way for runs on several GPUs
"""

import multiprocessing
import sys


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--self-test"]:
        from ganstudio.selftest import run_self_test

        return run_self_test("studio")
    from ganstudio.cli import main as cli_main

    return cli_main(args)  # no command: the app


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
