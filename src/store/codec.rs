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
