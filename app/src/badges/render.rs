//! Badge codes drawn as QR symbols: SVG for the printed badge, PNG for download and mail.

use qrcode::{render::svg, EcLevel, QrCode};

use crate::error::AppError;
use crate::platform::error::internal;

fn symbol(code: &str) -> Result<QrCode, AppError> {
    // Level M survives a scuffed or creased badge; the code is designed to fit version 7 at M.
    QrCode::with_error_correction_level(code.as_bytes(), EcLevel::M).map_err(|e| internal("badge qr", e))
}

/// An `<svg>` element (no XML prolog, so it can sit inside HTML) that scales to its box.
pub fn svg(code: &str) -> Result<String, AppError> {
    let rendered = symbol(code)?
        .render::<svg::Color>()
        .quiet_zone(true)
        .min_dimensions(240, 240)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let start = rendered.find("<svg").unwrap_or(0);
    Ok(rendered[start..].to_string())
}

/// A PNG with 8-pixel modules and the standard 4-module quiet zone.
pub fn png(code: &str) -> Result<Vec<u8>, AppError> {
    let image = symbol(code)?.render::<image::Luma<u8>>().module_dimensions(8, 8).quiet_zone(true).build();
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).map_err(|e| internal("badge png", e))?;
    Ok(out.into_inner())
}

/// The QR version a code needs (tests and the benchmark report it).
pub fn version(code: &str) -> Result<i16, AppError> {
    match symbol(code)?.version() {
        qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => Ok(v),
    }
}
