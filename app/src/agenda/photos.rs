//! Speaker photos. An upload is accepted only if it decodes as a PNG, JPEG or WebP image (by
//! its content, not its name), within size limits; it is then scaled to fit 400×400 and
//! re-encoded as JPEG from its pixels, which drops every piece of metadata (EXIF location,
//! camera serial numbers, comments).

use std::io::Cursor;

use image::{ImageFormat, ImageReader, Limits};

use crate::error::AppError;

/// The largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;
/// The longest side of a stored photo.
pub const STORED_SIDE: u32 = 400;
/// Images larger than this (in either dimension) are refused before they are decoded whole.
const MAX_SIDE: u32 = 8000;

pub fn normalise(upload: &[u8]) -> Result<Vec<u8>, AppError> {
    if upload.is_empty() {
        return Err(AppError::invalid("photo", "Choose a photo to upload."));
    }
    if upload.len() > MAX_UPLOAD_BYTES {
        return Err(AppError::invalid("photo", "The photo is larger than 5 MB. Upload a smaller one."));
    }
    let (_, image) = decode_image(upload, "photo")?;
    // Only ever scaled down: a small photo stays as sharp as it came.
    let scaled = if image.width() > STORED_SIDE || image.height() > STORED_SIDE {
        image.thumbnail(STORED_SIDE, STORED_SIDE).to_rgb8()
    } else {
        image.to_rgb8()
    };
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&scaled)
        .map_err(|e| crate::platform::error::internal("photo encoding", e))?;
    Ok(out.into_inner())
}

/// Decodes a PNG, JPEG or WebP image (recognised by its content, not its name) within limits
/// on its sides and memory, so a file that only claims to be an image is refused, naming the
/// form's `field`. Shared by speaker photos and the evidence of grant reports.
pub fn decode_image(upload: &[u8], field: &str) -> Result<(ImageFormat, image::DynamicImage), AppError> {
    let refuse = |message: &str| Err(AppError::invalid(field, message));
    let reader = match ImageReader::new(Cursor::new(upload)).with_guessed_format() {
        Ok(reader) => reader,
        Err(_) => return refuse("This file could not be read."),
    };
    let format = match reader.format() {
        Some(format @ (ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP)) => format,
        _ => return refuse("This file is not a PNG, JPEG or WebP image."),
    };
    let mut reader = reader;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    match reader.decode() {
        Ok(image) => Ok((format, image)),
        Err(image::ImageError::Limits(_)) => refuse("The image is too large (at most 8000 pixels on a side)."),
        Err(_) => refuse("This file is damaged or not really an image."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(RgbImage::from_pixel(width, height, image::Rgb([200, 30, 60])))
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    /// A JPEG with an EXIF segment holding a recognisable text.
    pub fn jpeg_with_exif() -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(RgbImage::from_pixel(900, 600, image::Rgb([10, 120, 200])))
            .write_to(&mut out, ImageFormat::Jpeg)
            .unwrap();
        let jpeg = out.into_inner();
        let mut payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0SECRET-GPS-48.8584N".to_vec();
        payload.resize(payload.len() + 8, 0);
        let length = (payload.len() + 2) as u16;
        let mut with_exif = vec![0xFF, 0xD8, 0xFF, 0xE1];
        with_exif.extend_from_slice(&length.to_be_bytes());
        with_exif.extend_from_slice(&payload);
        with_exif.extend_from_slice(&jpeg[2..]);
        with_exif
    }

    #[test]
    fn photos_are_scaled_and_stripped_of_metadata() {
        let upload = jpeg_with_exif();
        assert!(upload.windows(10).any(|w| w == b"SECRET-GPS"));
        let stored = normalise(&upload).unwrap();
        assert!(!stored.windows(10).any(|w| w == b"SECRET-GPS"), "metadata must not survive");
        let decoded = image::load_from_memory(&stored).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (400, 267));
        let small = normalise(&png(120, 80)).unwrap();
        assert_eq!(image::load_from_memory(&small).unwrap().width(), 120, "small photos are not enlarged");
    }

    #[test]
    fn anything_else_is_refused_with_a_reason() {
        let message = |bytes: &[u8]| normalise(bytes).unwrap_err().for_field("photo").unwrap();
        assert!(message(b"").contains("Choose a photo"));
        assert!(message(b"%PDF-1.7 not an image").contains("not a PNG, JPEG or WebP"));
        let mut truncated = png(300, 300);
        truncated.truncate(60);
        assert!(message(&truncated).contains("damaged"));
        assert!(message(&vec![0u8; MAX_UPLOAD_BYTES + 1]).contains("larger than 5 MB"));
        let huge = png(9000, 10);
        assert!(message(&huge).contains("8000 pixels"));
    }
}
