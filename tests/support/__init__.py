"""Helpers of the test suite (no tests here): API client, real servers, fans, holds, queue."""
