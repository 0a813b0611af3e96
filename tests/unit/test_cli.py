from connector import bootstrap
from smsc.cli import main


def test_missing_settings_give_one_clear_line_and_exit_2(monkeypatch, capsys):
    for name in ("DATAVERSE_URL", "OCTOPUSH_API_LOGIN", "OCTOPUSH_API_KEY", "SMSC_WEBHOOK_KEY"):
        monkeypatch.delenv(name, raising=False)
    bootstrap.reset()
    assert main(["campaign", "simulate", "0e6a0000-0000-4000-8000-000000000001"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smsc: Invalid settings: DATAVERSE_URL: Field required") and "Traceback" not in err
    bootstrap.reset()


def test_the_adapters_log_lines_stay_out_of_the_users_terminal_unless_debugging(tmp_path):
    import subprocess
    import sys

    script = ("import logging, sys\n"
              "from smsc import cli\n"
              "def noisy(args):\n"
              "    logging.getLogger('connector.sms.octopush').warning('balance check failed')\n"
              "    print('prepare: done')\n"
              "    return 0\n"
              "class Parser:\n"
              "    def parse_args(self, argv):\n"
              "        import argparse\n"
              "        return argparse.Namespace(run=noisy)\n"
              "cli.build_parser = Parser\n"
              "sys.exit(cli.main([]))\n")
    quiet = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "prepare: done\n", "")
    loud = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "SMSC_DEBUG": "1"})
    assert "smsc: connector.sms.octopush: balance check failed" in loud.stderr
