import pytest

from shared.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    for name in ("KOKEMUS_NATS_URL", "KOKEMUS_DATABASE_URL", "KOKEMUS_DB_HOST", "KOKEMUS_DB_NAME", "KOKEMUS_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()


def test_a_malformed_nats_url_names_the_variable_and_the_expected_form(monkeypatch):
    monkeypatch.setenv("KOKEMUS_NATS_URL", "http://nats:4222")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "KOKEMUS_NATS_URL" in str(error.value) and "nats://host:port" in str(error.value)


def test_a_port_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("KOKEMUS_HTTP_PORT", "eighty")
    with pytest.raises(SettingsError, match="KOKEMUS_HTTP_PORT"):
        load_settings()


def test_a_database_host_without_a_name_is_refused_early(monkeypatch):
    monkeypatch.setenv("KOKEMUS_DB_HOST", "pg")
    with pytest.raises(SettingsError, match="KOKEMUS_DB_NAME"):
        load_settings()


def test_no_database_at_all_says_how_to_give_one():
    with pytest.raises(SettingsError, match="KOKEMUS_DATABASE_URL"):
        Settings().dsn()


def test_the_database_can_be_given_in_parts_as_kubernetes_secrets_hand_it_over(monkeypatch):
    monkeypatch.setenv("KOKEMUS_DB_HOST", "kokemus-pg-rw")
    monkeypatch.setenv("KOKEMUS_DB_NAME", "orders")
    monkeypatch.setenv("KOKEMUS_DB_USER", "orders")
    monkeypatch.setenv("KOKEMUS_DB_PASSWORD", "p@ss/word")
    assert load_settings().dsn() == "postgresql://orders:p%40ss%2Fword@kokemus-pg-rw:5432/orders"


def test_settings_are_read_once(monkeypatch):
    monkeypatch.setenv("KOKEMUS_NATS_URL", "nats://a:1")
    first = load_settings()
    monkeypatch.setenv("KOKEMUS_NATS_URL", "nats://b:2")
    assert load_settings() is first


def test_in_production_serving_needs_a_key_ring_and_migrating_does_not():
    production = Settings(environment="production", database_url="postgresql://u:p@db:5432/kokemus")
    assert production.dsn()  # `kokemus migrate` reads these settings: it writes no subject's key
    with pytest.raises(SettingsError, match="KOKEMUS_KEY_ENCRYPTION_KEYS"):
        production.require_key_ring()
    Settings(environment="production", key_encryption_keys="/etc/kokemus/ring").require_key_ring()
    Settings(environment="development").require_key_ring()  # the development default keeps keys as they are
