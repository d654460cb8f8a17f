"""The image fetcher goes to no loopback, private, link-local, multicast, unspecified or
reserved address (IPv4, IPv6, IPv4 inside IPv6), after resolving the name and again at
every redirect, unless the host is the configured ASI:One or Agentverse one, or
`image_private_hosts` allows it. Against the simulator, a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app.core.config import load_settings
from app.core.images.cache import ImageCache
from app.core.images.fetcher import FetchLimits, ImageOk, ImageRefused, address_kind, fetch_image, limits_for, origin_of
from app.simulator import Simulator
from tests.conftest import TEST_KEY


@pytest.fixture
def cache(tmp_path: Path) -> ImageCache:
    return ImageCache(tmp_path / "cache")


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("fd00::1", "private"), ("169.254.169.254", "link-local"), ("fe80::1%eth0", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("240.0.0.1", "reserved"), ("100.64.0.1", "reserved"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:192.168.1.1", "private"),
    ("2002:c0a8:0101::1", "private"),  # 6to4 around 192.168.1.1
])
def test_non_public_addresses_are_named(address: str, kind: str) -> None:
    assert address_kind(address) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_kind(address) is None


@pytest.mark.parametrize(("url", "reason"), [
    ("http://192.168.1.1/admin.png", "refused: private address 192.168.1.1"),
    ("http://169.254.169.254/latest/meta-data", "refused: link-local address 169.254.169.254"),
    ("http://[::ffff:10.0.0.1]/x.png", "refused: private address ::ffff:10.0.0.1"),
    ("http://[::1]:8080/x.png", "refused: loopback address ::1"),
    ("http://0.0.0.0/x.png", "refused: unspecified address 0.0.0.0"),
])
def test_private_hosts_are_refused_before_any_connection(cache: ImageCache, url: str, reason: str) -> None:
    assert fetch_image(url, cache) == ImageRefused(reason)


def test_a_name_is_checked_by_what_it_resolves_to(cache: ImageCache) -> None:
    result = fetch_image("http://localhost:9/x.png", cache)
    assert isinstance(result, ImageRefused) and result.reason.startswith("refused: loopback address")


def test_the_configured_host_is_fetched_though_it_is_on_loopback(sim: Simulator, cache: ImageCache,
                                                                 tmp_path: Path) -> None:
    settings = load_settings({"base_url": sim.base_url, "api_key": TEST_KEY}, env={},
                             config_file=tmp_path / "none.toml")
    assert isinstance(fetch_image(f"{sim.origin}/sim-images/png", cache, limits_for(settings)), ImageOk)
    # … and refused where the simulator is not the configured host
    assert fetch_image(f"{sim.origin}/sim-images/png?again", cache, FetchLimits()) == \
        ImageRefused("refused: loopback address 127.0.0.1")


def test_a_redirect_from_the_configured_host_to_another_loopback_port_is_refused(
        sim: Simulator, cache: ImageCache) -> None:
    with Simulator(api_key=TEST_KEY) as other:  # another local server: a "router's admin page"
        limits = FetchLimits(trusted=frozenset({origin_of(sim.origin)}))
        url = f"{sim.origin}/sim-images/redirect-port-{other.port}"
        assert fetch_image(url, cache, limits) == ImageRefused("refused: loopback address 127.0.0.1")
        assert other.gets.get("/sim-images/png", 0) == 0  # never reached
        allowed = FetchLimits(trusted=limits.trusted, private_hosts=True)
        assert isinstance(fetch_image(url, cache, allowed), ImageOk)
        assert other.gets["/sim-images/png"] == 1


def test_image_private_hosts_is_a_setting(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("image_private_hosts = true\n")
    settings = load_settings({}, env={}, config_file=config)
    assert settings.image_private_hosts and limits_for(settings).private_hosts
    assert not limits_for(load_settings({}, env={}, config_file=tmp_path / "none.toml")).private_hosts
    assert limits_for(settings).trusted == frozenset({("api.asi1.ai", 443), ("agentverse.ai", 443)})


def test_a_name_that_turns_into_loopback_after_the_check_is_not_followed(
        sim: Simulator, cache: ImageCache, monkeypatch) -> None:
    # DNS rebinding: the first answer is public, every later one the simulator's loopback.
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", sim.port))]])

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            return next(answers, None) or real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    limits = FetchLimits(connect_timeout=0.5, read_timeout=0.5)
    result = fetch_image(f"http://rebind.example:{sim.port}/sim-images/png", cache, limits)
    assert isinstance(result, ImageRefused) and result.reason.startswith("host unreachable")
    assert sim.gets.get("/sim-images/png", 0) == 0  # the GET never reached loopback


def test_a_checked_address_is_asked_for_by_its_name(sim: Simulator, cache: ImageCache, monkeypatch) -> None:
    # The connection goes to the address checked; the request still names the host.
    monkeypatch.setattr("app.core.images.fetcher.checked_address", lambda url, limits: "127.0.0.1")
    result = fetch_image(f"http://images.example:{sim.port}/sim-images/png", cache)
    assert isinstance(result, ImageOk)
    assert sim.get_headers[-1]["host"] == f"images.example:{sim.port}"
