"""condor_q's -af, -format and -long forms of job ads, as jobsub q prints them."""

from __future__ import annotations

import classad2
import pytest

from jobsub.runtime.adforms import autoformat, format_value, long_form, printf

ADS = [classad2.ClassAd({"ClusterId": 7, "ProcId": 0, "Owner": "ann", "ImageSize": 2560,
                         "JobStatus": 2, "Done": True, "Cmd": "/bin/job.sh"}),
       classad2.ClassAd({"ClusterId": 8, "ProcId": 1, "Owner": "bob", "ImageSize": 0,
                         "JobStatus": 1, "Done": False})]


def test_autoformat_evaluates_attributes_and_expressions():
    assert autoformat(ADS, ["ClusterId", "Owner", "ImageSize/1024.0", "Done", "Cmd"]) == [
        "7 ann 2.5 true /bin/job.sh", "8 bob 0.0 false undefined"]


def test_format_is_printf_per_job_and_skips_undefined():
    jobsub_q = [("%-10s", "Owner"), ("%6.1f ", "ImageSize/1024.0"), ("%s", "Cmd"),
                ("\\n", "Owner")]
    assert printf(ADS, jobsub_q) == "ann          2.5 /bin/job.sh\nbob          0.0 \n"


@pytest.mark.parametrize("fmt, value, text", [
    ("%d", 3.9, "3"), ("%3d|", 7, "  7|"), ("%s", True, "true"), ("%T", 3725, "0+01:02:05"),
    ("%x", 255, "ff"), ("%.2f%%", 0.5, "0.50%"), (" %s ", "R", " R "),
    ("%d", "12", "12"), ("%d", "x", "0"), ("%ld", 7, "7"), ("%lf", 1.5, "1.500000"),
    ("%d", float("inf"), "inf"), ("%d", float("nan"), "nan"), ("%c", -1, "-1"),
])
def test_conversions_mean_what_they_mean_in_c(fmt, value, text):
    assert format_value(fmt, value) == text


def test_long_is_each_ad_then_a_blank_line():
    text = long_form(ADS)
    assert text.count("\n\n") == 1 and 'Owner = "ann"' in text and "ClusterId = 8" in text
