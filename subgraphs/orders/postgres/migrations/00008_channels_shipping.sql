-- +goose Up
-- Channels and shipping through the API (issue 21 item 4). Orders prices
-- carts and orders, so it owns the channels (currency, countries, whether
-- prices are entered with tax) and the shipping tables priced in them.
CREATE TABLE channels (
    code               text PRIMARY KEY CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    countries          text[] NOT NULL CHECK (cardinality(countries) > 0),
    prices_include_tax boolean NOT NULL,
    tax_rounding       text NOT NULL DEFAULT 'LINE' CHECK (tax_rounding IN ('LINE', 'ORDER_PER_RATE')),
    created_at         timestamptz NOT NULL DEFAULT now()
);
-- The channels the shop always had (the products subgraph has the same
-- three): the US prices net, as US shops show sales tax on top; Europe and
-- Japan show prices with VAT and consumption tax inside.
INSERT INTO channels (code, currency, countries, prices_include_tax) VALUES
    ('default-usd', 'USD', '{US,CA}', false),
    ('eu-eur', 'EUR', '{AT,BE,BG,CH,CY,CZ,DE,DK,EE,ES,FI,FR,GB,GR,HR,HU,IE,IT,LT,LU,LV,MT,NL,NO,PL,PT,RO,SE,SI,SK}', true),
    ('jp-jpy', 'JPY', '{JP}', true);

-- Where methods ship: countries, or only some regions of them (a zone with
-- regions is more specific and wins over one without).
CREATE TABLE shipping_zones (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    countries  text[] NOT NULL CHECK (cardinality(countries) > 0),
    regions    text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- A method of a zone in a channel, priced in the channel's currency: FLAT
-- (price_minor), or by WEIGHT (grams) or SUBTOTAL (minor units) bands:
-- band_limits[i] is band i's inclusive upper bound (NULL on the last: no
-- limit), band_prices[i] its price. free_above_minor: free when the
-- subtotal is above it.
CREATE TABLE shipping_methods (
    id               text PRIMARY KEY,
    zone_id          text NOT NULL REFERENCES shipping_zones (id),
    channel          text NOT NULL REFERENCES channels (code),
    code             text NOT NULL,
    name             text NOT NULL,
    min_days         int NOT NULL CHECK (min_days >= 0),
    max_days         int NOT NULL CHECK (max_days >= min_days),
    rate_kind        text NOT NULL CHECK (rate_kind IN ('FLAT', 'WEIGHT', 'SUBTOTAL')),
    price_minor      bigint NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
    band_limits      bigint[] NOT NULL DEFAULT '{}',
    band_prices      bigint[] NOT NULL DEFAULT '{}',
    free_above_minor bigint CHECK (free_above_minor >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (zone_id, channel, code),
    CHECK (cardinality(band_limits) = cardinality(band_prices))
);
CREATE INDEX shipping_methods_channel ON shipping_methods (channel);

-- The rates the shop always had (the table that was in Go), so carts and
-- orders ship as before.
INSERT INTO shipping_zones (id, name, countries) VALUES
    ('shz_na', 'North America', '{US,CA}'),
    ('shz_eu', 'Europe', '{AT,BE,BG,CH,CY,CZ,DE,DK,EE,ES,FI,FR,GB,GR,HR,HU,IE,IT,LT,LU,LV,MT,NL,NO,PL,PT,RO,SE,SI,SK}'),
    ('shz_jp', 'Japan', '{JP}'),
    ('shz_intl', 'International', '{AD,AE,AF,AG,AI,AL,AM,AO,AQ,AR,AS,AU,AW,AX,AZ,BA,BB,BD,BF,BH,BI,BJ,BL,BM,BN,BO,BQ,BR,BS,BT,BV,BW,BY,BZ,CC,CD,CF,CG,CI,CK,CL,CM,CN,CO,CR,CU,CV,CW,CX,DJ,DM,DO,DZ,EC,EG,EH,ER,ET,FJ,FK,FM,FO,GA,GD,GE,GF,GG,GH,GI,GL,GM,GN,GP,GQ,GS,GT,GU,GW,GY,HK,HM,HN,HT,ID,IL,IM,IN,IO,IQ,IR,IS,JE,JM,JO,KE,KG,KH,KI,KM,KN,KP,KR,KW,KY,KZ,LA,LB,LC,LI,LK,LR,LS,LY,MA,MC,MD,ME,MF,MG,MH,MK,ML,MM,MN,MO,MP,MQ,MR,MS,MU,MV,MW,MX,MY,MZ,NA,NC,NE,NF,NG,NI,NP,NR,NU,NZ,OM,PA,PE,PF,PG,PH,PK,PM,PN,PR,PS,PW,PY,QA,RE,RS,RU,RW,SA,SB,SC,SD,SG,SH,SJ,SL,SM,SN,SO,SR,SS,ST,SV,SX,SY,SZ,TC,TD,TF,TG,TH,TJ,TK,TL,TM,TN,TO,TR,TT,TV,TW,TZ,UA,UG,UM,UY,UZ,VA,VC,VE,VG,VI,VN,VU,WF,WS,YE,YT,ZA,ZM,ZW}');
INSERT INTO shipping_methods (id, zone_id, channel, code, name, min_days, max_days, rate_kind, price_minor)
SELECT 'shm_' || z.tag || '_' || lower(m.code) || '_' || c.tag, 'shz_' || z.tag, c.code, m.code, m.name, m.min_days, m.max_days, 'FLAT',
       CASE c.tag WHEN 'usd' THEN m.usd WHEN 'eur' THEN m.eur ELSE m.jpy END
FROM (VALUES
    ('na', 'STANDARD', 'Standard (3-5 days)', 3, 5, 599, 599, 900),
    ('na', 'EXPRESS', 'Express (1-2 days)', 1, 2, 1999, 1799, 2800),
    ('eu', 'STANDARD', 'Standard (3-6 days)', 3, 6, 899, 499, 1300),
    ('eu', 'EXPRESS', 'Express (1-2 days)', 1, 2, 2499, 1499, 3500),
    ('jp', 'STANDARD', 'Standard (2-4 days)', 2, 4, 1499, 1399, 500),
    ('jp', 'EXPRESS', 'Express (next day)', 1, 1, 2999, 2699, 1200),
    ('intl', 'STANDARD', 'International (7-21 days)', 7, 21, 1999, 1799, 2500),
    ('intl', 'EXPRESS', 'International express (3-7 days)', 3, 7, 4999, 4499, 7000)
) AS m (tag, code, name, min_days, max_days, usd, eur, jpy)
CROSS JOIN (VALUES ('na'), ('eu'), ('jp'), ('intl')) AS z (tag)
CROSS JOIN (VALUES ('default-usd', 'usd'), ('eu-eur', 'eur'), ('jp-jpy', 'jpy')) AS c (code, tag)
WHERE m.tag = z.tag;

-- +goose Down
DROP TABLE shipping_methods;
DROP TABLE shipping_zones;
DROP TABLE channels;
