//! Value encoding: one format-version byte, then MessagePack in its compact (array)
//! form. A field added at the end of a struct with `#[serde(default)]` decodes from old
//! records (the array is simply shorter), so adding a field never needs a rewrite; a
//! change that cannot be expressed that way bumps `FORMAT` and gets a migration.

use serde::{Serialize, de::DeserializeOwned};

/// The value format written today.
pub const FORMAT: u8 = 1;

/// Why a stored value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("empty value")]
    Empty,
    #[error("value format {0} is newer than this binary understands ({FORMAT})")]
    NewerFormat(u8),
    #[error("cannot decode value: {0}")]
    Decode(String),
    #[error("cannot encode value: {0}")]
    Encode(String),
}

/// Encodes a value with the current format version.
pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = vec![FORMAT];
    rmp_serde::encode::write(&mut out, v).map_err(|e| CodecError::Encode(e.to_string()))?;
    Ok(out)
}

/// Decodes a value written by `encode` (this or an older format).
pub fn decode<T: DeserializeOwned>(b: &[u8]) -> Result<T, CodecError> {
    match b.split_first() {
        None => Err(CodecError::Empty),
        Some((&FORMAT, rest)) => {
            rmp_serde::from_slice(rest).map_err(|e| CodecError::Decode(e.to_string()))
        }
        Some((&v, _)) => Err(CodecError::NewerFormat(v)),
    }
}

/// Raw bytes as one MessagePack `bin` (serde alone would write an array of numbers).
pub struct Bytes<'a>(pub &'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Owned bytes read back from a [`Bytes`] value.
#[derive(Debug, PartialEq, Eq)]
pub struct ByteBuf(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V1 {
        a: u64,
        b: String,
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct V2 {
        a: u64,
        b: String,
        #[serde(default)]
        c: Option<u32>,
        #[serde(default)]
        d: Vec<u8>,
    }

    #[test]
    fn round_trip() {
        let v = V1 {
            a: 7,
            b: "ñ".into(),
        };
        assert_eq!(decode::<V1>(&encode(&v).unwrap()).unwrap(), v);
    }

    #[test]
    fn old_records_decode_into_grown_structs() {
        let old = encode(&V1 {
            a: 1,
            b: "x".into(),
        })
        .unwrap();
        let new: V2 = decode(&old).unwrap();
        assert_eq!(
            new,
            V2 {
                a: 1,
                b: "x".into(),
                c: None,
                d: vec![]
            }
        );
    }

    #[test]
    fn bytes_are_one_bin_value() {
        let data: Vec<u8> = (0..=255).collect();
        let enc = encode(&Bytes(&data)).unwrap();
        assert_eq!(enc.len(), 1 + 3 + 256, "version, bin 16 header, the bytes");
        assert_eq!(decode::<ByteBuf>(&enc).unwrap(), ByteBuf(data));
        assert_eq!(
            decode::<ByteBuf>(&encode(&Bytes(&[])).unwrap()).unwrap(),
            ByteBuf(vec![])
        );
    }

    #[test]
    fn refuses_newer_format_and_garbage() {
        let mut b = encode(&V1 {
            a: 1,
            b: "x".into(),
        })
        .unwrap();
        b[0] = FORMAT + 1;
        assert!(matches!(decode::<V1>(&b), Err(CodecError::NewerFormat(_))));
        assert!(matches!(decode::<V1>(&[]), Err(CodecError::Empty)));
        assert!(matches!(
            decode::<V1>(&[FORMAT, 0xc1]),
            Err(CodecError::Decode(_))
        ));
    }
}
