import type { MouseEvent } from 'react'

/**
 * onMouseDown of a control in the player: the press does not move the focus, so the player's keys (space, arrows,
 * M/E, A/X) keep working after a click.
 */
export const keepFocus = (e: MouseEvent): void => e.preventDefault()
